"""fill_mask: output shapes, targets, multi-token PLL, the iterative strategy, sampling and errors.

tests/golden/test_fill_mask_golden.py compares with Hugging Face's pipeline and torch,
tests/golden/test_exported_architectures.py the top-k; tests/cli/test_cli_predict.py runs `fillmask-np predict`.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from fillmask_np.tasks import targets as _fill_targets
from fillmask_np.tasks.iterative import Sampler

from helpers import GOLDEN

ONE = "the cat [MASK] on the mat."
TWO = "the [MASK] sat on the [MASK]."


@pytest.fixture(scope="module")
def roberta():
    directory = GOLDEN / "models" / "roberta"
    return fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)


def _by_hand_log_p(model, tok, ids: list[int], position: int) -> np.ndarray:
    """log P(. | ids) at ``position`` from the full [1, L, V] logits: the plain path, no masked_rows."""
    logits = model(np.array([ids]), np.ones((1, len(ids)), dtype=np.int64), pad_token_id=tok.pad_token_id)
    return fm.log_softmax(logits[0, position].astype(np.float64))  # [V]


# ----------------------------------------------------------------------------- independent (HF shapes)
def test_fill_mask_fills_the_sequence(bert_model, bert_tok):
    best = fm.fill_mask(bert_model, bert_tok, ONE, top_k=1)[0]
    assert best["sequence"] == f"the cat {best['token_str']} on the mat."


def test_candidates_have_the_pipeline_keys_and_types(bert_model, bert_tok):
    best = fm.fill_mask(bert_model, bert_tok, ONE, top_k=1)[0]
    assert set(best) == {"score", "token", "token_str", "sequence"}
    assert (type(best["score"]), type(best["token"]), type(best["token_str"])) == (float, int, str)


def test_several_masks_give_one_list_each(bert_model, bert_tok):
    result = fm.fill_mask(bert_model, bert_tok, TWO, top_k=2)
    assert len(result) == 2 and all(len(candidates) == 2 for candidates in result)


def test_several_masks_keep_the_specials_and_the_other_mask_in_the_sequence(bert_model, bert_tok):
    first, second = fm.fill_mask(bert_model, bert_tok, TWO, top_k=1)
    assert first[0]["sequence"] == f"[CLS] the {first[0]['token_str']} sat on the [MASK]. [SEP]"
    assert second[0]["sequence"] == f"[CLS] the [MASK] sat on the {second[0]['token_str']}. [SEP]"


def test_token_str_is_the_unstripped_decoding(roberta):
    model, tok = roberta
    best = fm.fill_mask(model, tok, "The cat <mask> on the mat.", top_k=1)[0]
    assert best["token_str"] == tok.decode([best["token"]]) and best["token_str"].startswith(" ")


def test_top_k_beyond_the_vocabulary_gives_every_token_summing_to_one(bert_model, bert_tok):
    everything = fm.fill_mask(bert_model, bert_tok, ONE, top_k=10**6)
    assert len(everything) == bert_model.vocab_size
    assert sum(c["score"] for c in everything) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("top_k", [0, -1, 2.5, True])
def test_top_k_below_one_or_not_an_integer_is_refused(bert_model, bert_tok, top_k):
    with pytest.raises(fm.FillMaskError, match="top_k="):
        fm.fill_mask(bert_model, bert_tok, ONE, top_k=top_k)


def test_text_without_a_mask_is_refused(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match=r"no mask token '\[MASK\]'"):
        fm.fill_mask(bert_model, bert_tok, "no mask here")


# ----------------------------------------------------------------------------- targets
def test_single_token_targets_keep_their_unrestricted_scores(bert_model, bert_tok):
    everything = {c["token"]: c for c in fm.fill_mask(bert_model, bert_tok, ONE, top_k=10**6)}
    chosen = fm.fill_mask(bert_model, bert_tok, ONE, targets=["dog", "sat"])
    assert {c["token_str"] for c in chosen} == {"dog", "sat"} and chosen[0]["score"] >= chosen[1]["score"]
    assert all(c == everything[c["token"]] for c in chosen)


def test_top_k_is_capped_by_the_number_of_targets(bert_model, bert_tok):
    assert len(fm.fill_mask(bert_model, bert_tok, ONE, targets=["dog", "sat"], top_k=5)) == 2


def test_top_k_cuts_the_targets(bert_model, bert_tok):
    assert len(fm.fill_mask(bert_model, bert_tok, ONE, targets=["dog", "sat", "lay"], top_k=1)) == 1


def test_targets_with_the_same_pieces_count_once(bert_model, bert_tok):
    result = fm.fill_mask(bert_model, bert_tok, ONE, targets=["cat", "Cat", "cat", "sleeping", "SLEEPING"])
    sleeping = bert_tok.backend.encode("sleeping", add_special_tokens=False).ids
    assert sorted(map(str, (c["token"] for c in result))) == sorted([str(bert_tok.backend.token_to_id("cat")),
                                                                     str(sleeping)])


def test_a_single_target_string_is_one_target(bert_model, bert_tok):
    assert fm.fill_mask(bert_model, bert_tok, ONE, targets="dog") == fm.fill_mask(bert_model, bert_tok, ONE,
                                                                                 targets=["dog"])


def test_a_vocabulary_entry_is_one_token_even_if_it_would_tokenize_otherwise(bert_model, bert_tok):
    (only,) = fm.fill_mask(bert_model, bert_tok, ONE, targets=["##s"])
    assert only["token"] == bert_tok.backend.token_to_id("##s")


@pytest.mark.parametrize("target", ["", "   "])
def test_a_target_that_tokenizes_to_nothing_names_target_and_tokenizer(bert_model, bert_tok, target):
    with pytest.raises(fm.FillMaskError) as error:
        fm.fill_mask(bert_model, bert_tok, ONE, targets=["dog", target])
    assert f"target {target!r} tokenizes to nothing" in str(error.value) and bert_tok.source in str(error.value)


def test_an_unknown_target_is_refused_with_its_pieces(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match=r"target '☃' is unknown to tokenizer .*\['\[UNK\]'\]"):
        fm.fill_mask(bert_model, bert_tok, ONE, targets=["☃"])


@pytest.mark.parametrize("targets", [[], [3], ("dog", None)])
def test_targets_must_be_strings(bert_model, bert_tok, targets):
    with pytest.raises(fm.FillMaskError, match="non-empty list of strings"):
        fm.fill_mask(bert_model, bert_tok, ONE, targets=targets)


def test_a_multi_token_target_is_spelled_out_in_place(bert_model, bert_tok):
    (only,) = fm.fill_mask(bert_model, bert_tok, ONE, targets=["sleeping"])
    pieces = bert_tok.backend.encode("sleeping", add_special_tokens=False).ids
    assert only["token"] == pieces and len(pieces) == 2
    assert (only["token_str"], only["sequence"]) == ("sleeping", "the cat sleeping on the mat.")


def test_a_multi_token_score_is_the_product_of_each_piece_masked_alone(bert_model, bert_tok):
    (only,) = fm.fill_mask(bert_model, bert_tok, ONE, targets=["catapult"])
    ids = bert_tok.encode_batch([ONE]).input_ids[0].tolist()
    at = ids.index(bert_tok.mask_token_id)
    filled = ids[:at] + only["token"] + ids[at + 1:]
    total = 0.0
    for j, piece in enumerate(only["token"]):
        copy = list(filled)
        copy[at + j] = bert_tok.mask_token_id
        total += _by_hand_log_p(bert_model, bert_tok, copy, at + j)[piece]
    assert only["score"] == pytest.approx(np.exp(total), rel=1e-6)


def test_multi_token_scores_do_not_depend_on_the_run_size(bert_model, bert_tok, monkeypatch):
    words = ["catapult", "sleeping", "zebra"]
    batched = fm.fill_mask(bert_model, bert_tok, TWO, targets=words)
    monkeypatch.setattr(_fill_targets, "_ROWS_PER_RUN", 1)
    one_by_one = fm.fill_mask(bert_model, bert_tok, TWO, targets=words)
    assert batched == one_by_one  # ONNX Runtime: a copy's logits do not depend on its run, so bit for bit


def test_with_several_masks_a_multi_token_target_leaves_the_other_mask_masked(bert_model, bert_tok):
    first, second = fm.fill_mask(bert_model, bert_tok, TWO, targets=["sleeping"])
    assert first[0]["sequence"] == "[CLS] the sleeping sat on the [MASK]. [SEP]"
    assert second[0]["sequence"] == "[CLS] the [MASK] sat on the sleeping. [SEP]"


# ----------------------------------------------------------------------------- iterative
def test_iterative_with_one_mask_is_the_independent_top_1(bert_model, bert_tok):
    (step,) = fm.fill_mask(bert_model, bert_tok, ONE, strategy="iterative")
    best = fm.fill_mask(bert_model, bert_tok, ONE, top_k=1)[0]
    assert {key: step[key] for key in best} == best and step["mask"] == 0


def test_iterative_fills_every_mask_once(bert_model, bert_tok):
    steps = fm.fill_mask(bert_model, bert_tok, "[MASK] cat [MASK] on the [MASK].", strategy="iterative")
    assert sorted(s["mask"] for s in steps) == [0, 1, 2]
    assert "[MASK]" not in steps[-1]["sequence"] and "[MASK]" in steps[-2]["sequence"]


def test_iterative_first_fills_the_most_confident_mask(bert_model, bert_tok):
    independent = fm.fill_mask(bert_model, bert_tok, TWO, top_k=1)
    first = fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative")[0]
    confident = int(np.argmax([candidates[0]["score"] for candidates in independent]))
    assert first["mask"] == confident and first["token"] == independent[confident][0]["token"]


def test_iterative_second_step_sees_the_first_fill(bert_model, bert_tok):
    first, second = fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative")
    ids = bert_tok.encode_batch([TWO]).input_ids[0].tolist()
    masks = [p for p, i in enumerate(ids) if i == bert_tok.mask_token_id]
    ids[masks[first["mask"]]] = first["token"]
    log_p = _by_hand_log_p(bert_model, bert_tok, ids, masks[second["mask"]])
    assert second["token"] == int(np.argmax(log_p))
    assert second["score"] == pytest.approx(float(np.exp(log_p.max())), rel=1e-6)


def test_iterative_targets_restrict_the_fills(bert_model, bert_tok):
    steps = fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative", targets=["dog", "table"])
    assert {s["token_str"] for s in steps} <= {"dog", "table"}


def test_iterative_refuses_multi_token_targets(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match=r"targets \['sleeping'\] are several tokens"):
        fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative", targets=["dog", "sleeping"])


def test_sampling_is_reproducible_with_a_seed(bert_model, bert_tok):
    options = {"strategy": "iterative", "sample": True, "top_k": 50, "temperature": 3.0}
    first = fm.fill_mask(bert_model, bert_tok, TWO, seed=7, **options)
    assert fm.fill_mask(bert_model, bert_tok, TWO, seed=7, **options) == first
    assert fm.fill_mask(bert_model, bert_tok, TWO, rng=np.random.default_rng(7), **options) == first


def test_sampling_differs_across_seeds(bert_model, bert_tok):
    options = {"strategy": "iterative", "sample": True, "top_k": 50, "temperature": 3.0}
    fills = {fm.fill_mask(bert_model, bert_tok, TWO, seed=seed, **options)[-1]["sequence"] for seed in range(5)}
    assert len(fills) > 1


def test_a_tiny_top_p_is_greedy(bert_model, bert_tok):
    greedy = fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative")
    assert fm.fill_mask(bert_model, bert_tok, TWO, strategy="iterative", top_p=1e-9, top_k=50,
                        temperature=2.0, seed=0) == greedy


def test_top_p_keeps_the_smallest_set_reaching_it():
    sampler = Sampler(np.random.default_rng(0), top_k=3, top_p=0.6)
    draws = {sampler.draw(np.log(np.array([0.2, 0.5, 0.3]))) for _ in range(500)}
    assert draws == {1, 2}  # 0.5 < 0.6, 0.5 + 0.3 reaches it; 0.2 is cut


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=30), st.integers(1, 40), st.floats(0.01, 1.0),
       st.integers(0, 2**32 - 1))
def test_a_draw_is_always_among_the_top_k(logits, top_k, top_p, seed):
    log_p = fm.log_softmax(np.array(logits, dtype=np.float64))
    drawn = Sampler(np.random.default_rng(seed), top_k=top_k, top_p=top_p).draw(log_p)
    assert np.count_nonzero(log_p > log_p[drawn]) < top_k


@pytest.mark.parametrize("options, message", [
    ({"strategy": "iterative", "sample": True}, "exactly one of seed= or rng="),
    ({"strategy": "iterative", "sample": True, "seed": 0, "rng": np.random.default_rng(0)}, "exactly one"),
    ({"strategy": "iterative", "seed": 0}, "only matter when sampling"),
    ({"sample": True, "seed": 0}, "apply to strategy='iterative'"),
    ({"strategy": "iterative", "temperature": 0.0, "seed": 0}, "temperature=0.0"),
    ({"strategy": "iterative", "top_p": 1.5, "seed": 0}, "top_p=1.5"),
    ({"strategy": "iterative", "sample": True, "seed": -1}, "seed=-1"),
    ({"strategy": "iterative", "sample": True, "rng": 3}, "rng=3 must be a numpy.random.Generator"),
    ({"strategy": "greedy"}, "strategy='greedy'"),
])
def test_bad_strategy_options_are_refused(bert_model, bert_tok, options, message):
    with pytest.raises(fm.FillMaskError, match=re.escape(message)):
        fm.fill_mask(bert_model, bert_tok, TWO, **options)
