"""generate: prompts (masks, prefix + new_tokens, length), unmasking orders, candidates, limits, cost, history,
and fill_mask(strategy="iterative") as a case of it.

tests/unit/tasks/test_generate_sampling.py tests the draws, tests/golden/test_generate_golden.py the torch loop,
tests/cli/test_cli_generate.py the command.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import fillmask_np as fm

from helpers import FakeMaskedLM, FixedLogits, GOLDEN, load_npz

TWO = "the [MASK] sat on the [MASK]."


class RisingConfidence(FakeMaskedLM):
    """Position l predicts token 10 + l with logit l / 2: later positions are more confident. Counts its runs."""

    def __init__(self) -> None:
        super().__init__(1000)
        self.runs: list[int] = []  # positions scored per run

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        batch, length = input_ids.shape
        out = np.zeros((batch, length, 1000), dtype=np.float32)
        out[:, np.arange(length), 10 + np.arange(length)] = np.arange(length) / 2
        return out

    def masked_logits(self, input_ids, attention_mask, token_type_ids, positions, *, pad_token_id=0):
        self.runs.append(len(positions))
        return super().masked_logits(input_ids, attention_mask, token_type_ids, positions, pad_token_id=pad_token_id)


@pytest.fixture(scope="module")
def esm():
    directory = GOLDEN / "models" / "esm"
    return fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)


# ----------------------------------------------------------------------------- prompts
def test_masks_in_the_text_are_filled(bert_model, bert_tok):
    (out,) = fm.generate(bert_model, bert_tok, TWO)
    assert "[MASK]" not in out.text and (out.ids != bert_tok.mask_token_id).all()
    assert sorted(np.concatenate([s.positions for s in out.steps]).tolist()) == [2, 6]


def test_new_tokens_go_before_the_final_special_token(bert_model, bert_tok):
    (out,) = fm.generate(bert_model, bert_tok, prefix="the cat", new_tokens=4)
    cls, sep, mask = bert_tok.cls_token_id, bert_tok.sep_token_id, bert_tok.mask_token_id
    assert out.input_ids.tolist()[0] == cls and out.input_ids.tolist()[-5:] == [mask] * 4 + [sep]
    assert out.ids[-1] == sep and out.text.startswith("the cat ")


def test_texts_with_new_tokens_are_prefixes_too(bert_model, bert_tok):
    a = fm.generate(bert_model, bert_tok, "the cat", new_tokens=3)[0]
    b = fm.generate(bert_model, bert_tok, prefix="the cat", new_tokens=3)[0]
    assert a.ids.tolist() == b.ids.tolist()


def test_length_is_masks_between_the_special_tokens(esm):
    model, tok = esm
    (out,) = fm.generate(model, tok, length=12, steps=3)
    assert out.input_ids.tolist() == [tok.cls_token_id] + [tok.mask_token_id] * 12 + [2]  # <cls> ... <eos>
    assert len(out.text.split()) == 12 and out.prompt == ""


def test_a_protein_prefix_is_continued(esm):
    model, tok = esm
    (out,) = fm.generate(model, tok, prefix="MKTAYIAK", new_tokens=10, steps=5, schedule="cosine")
    assert out.text.replace(" ", "").startswith("MKTAYIAK") and len(out.text.split()) == 18


# ----------------------------------------------------------------------------- unmasking orders
def test_confidence_fills_the_most_confident_first(bert_tok):
    model = RisingConfidence()
    (out,) = fm.generate(model, bert_tok, "[MASK] [MASK] [MASK] [MASK]", steps=2)
    assert [s.positions.tolist() for s in out.steps] == [[4, 3], [2, 1]]
    assert out.ids[1:5].tolist() == [11, 12, 13, 14]


def test_confidence_ties_go_to_the_earlier_position(bert_tok):
    row = np.zeros(1000, dtype=np.float32)
    row[50] = 3.0
    (out,) = fm.generate(FixedLogits(row), bert_tok, "[MASK] [MASK] [MASK]")
    assert [s.positions.tolist() for s in out.steps] == [[1], [2], [3]]


def test_left_to_right_fills_the_leftmost_first(bert_tok):
    (out,) = fm.generate(RisingConfidence(), bert_tok, "[MASK] [MASK] [MASK] [MASK]", steps=2, unmask="left_to_right")
    assert [s.positions.tolist() for s in out.steps] == [[1, 2], [3, 4]]


def test_random_order_is_seeded(bert_tok):
    options = {"steps": 5, "unmask": "random", "num_samples": 6, "sample": False}
    first = fm.generate(RisingConfidence(), bert_tok, "[MASK] " * 5, seed=3, **options)
    again = fm.generate(RisingConfidence(), bert_tok, "[MASK] " * 5, seed=3, **options)
    orders = [tuple(np.concatenate([s.positions for s in g.steps]).tolist()) for g in first]
    assert orders == [tuple(np.concatenate([s.positions for s in g.steps]).tolist()) for g in again]
    assert len(set(orders)) > 1 and all(sorted(o) == [1, 2, 3, 4, 5] for o in orders)


def test_a_step_records_the_still_masked_positions_and_the_top_k(bert_tok):
    (out,) = fm.generate(RisingConfidence(), bert_tok, "[MASK] [MASK] [MASK]", steps=2, history_top_k=3)
    first, second = out.steps
    assert first.masked.tolist() == [1, 2, 3] and second.masked.tolist() == [1]
    assert first.top_ids.shape == (3, 3) and first.top_ids[:, 0].tolist() == [11, 12, 13]
    assert first.probs.tolist() == pytest.approx(first.top_probs[[2, 1], 0].tolist())


# ----------------------------------------------------------------------------- cost
def test_one_model_run_per_step_on_the_still_masked_positions_only(bert_tok):
    model = RisingConfidence()
    out = fm.generate(model, bert_tok, ["[MASK] [MASK] [MASK] [MASK] [MASK] [MASK]", "a [MASK] b [MASK] c [MASK]"],
                      steps=3)
    assert model.runs == [9, 6, 3] and out.model_runs == 3 and out.positions_scored == 18
    assert out.tokens_filled == 9 and out.tokens_per_second > 0


def test_batch_size_splits_the_rows_into_runs(bert_tok):
    model = RisingConfidence()
    out = fm.generate(model, bert_tok, ["[MASK] [MASK]"] * 3, steps=2, batch_size=2)
    assert out.model_runs == 4 and model.runs == [4, 2, 2, 1]


def test_steps_1_fills_everything_from_one_run(bert_model, bert_tok):
    out = fm.generate(bert_model, bert_tok, "[MASK] " * 7, steps=1)
    assert out.model_runs == 1 and len(out[0].steps) == 1 and len(out[0].steps[0].positions) == 7


# ----------------------------------------------------------------------------- candidates and limits
def test_special_tokens_are_never_generated_by_default(bert_tok):
    row = np.zeros(1000, dtype=np.float32)
    row[bert_tok.all_special_ids] = 10.0  # the model loves [CLS], [MASK], [PAD] ...
    (out,) = fm.generate(FixedLogits(row), bert_tok, TWO)
    assert not set(out.ids[1:-1].tolist()) & set(bert_tok.all_special_ids)
    (raw,) = fm.generate(FixedLogits(row), bert_tok, TWO, exclude_special=False)
    assert set(raw.ids[[2, 6]].tolist()) <= set(bert_tok.all_special_ids)


def test_targets_restrict_the_tokens(bert_model, bert_tok):
    out = fm.generate(bert_model, bert_tok, TWO, targets=["dog", "table"], top_k=2, seed=0, num_samples=4)
    allowed = {bert_tok.backend.token_to_id("dog"), bert_tok.backend.token_to_id("table")}
    assert all(set(g.ids[[2, 6]].tolist()) <= allowed for g in out)


def test_max_steps_reports_the_masks_left(bert_model, bert_tok):
    (out,) = fm.generate(bert_model, bert_tok, "[MASK] [MASK] [MASK] [MASK]", steps=4, max_steps=2)
    assert len(out.steps) == 2 and len(out.unfilled) == 2 and "[MASK]" in out.text
    assert (out.ids[out.unfilled] == bert_tok.mask_token_id).all()


# ----------------------------------------------------------------------------- history
def test_history_is_plain_arrays_with_a_json_header(bert_model, bert_tok, tmp_path):
    path = tmp_path / "hist.npz"
    out = fm.generate(bert_model, bert_tok, [TWO, "a [MASK] [MASK] [MASK] b"], steps=2, history_top_k=4, history=path)
    arrays = load_npz(path)  # allow_pickle=False
    header = json.loads(str(arrays["header"]))
    assert header["format"].startswith("fillmask_np.generate.history")
    assert header["provenance"]["tokenizer"]["sha256"] and header["settings"]["history_top_k"] == 4
    assert len(arrays["fill_token"]) == out.tokens_filled == 5
    assert arrays["top_ids"].shape == (3 + 4, 4)  # still-masked positions per step: 2 + 1 and 3 + 1
    g1 = arrays["fill_generation"] == 1
    assert arrays["fill_position"][g1].tolist() == np.concatenate([s.positions for s in out[1].steps]).tolist()
    np.testing.assert_array_equal(arrays["output_ids"][1, :arrays["lengths"][1]], out[1].ids)
    assert out.history_sha256 and not list(tmp_path.glob(".hist.npz.*"))  # written atomically


def test_history_onto_an_input_is_refused_before_any_run(bert_tok, tmp_path):
    model = RisingConfidence()
    with pytest.raises(fm.InputFileError, match="is an input of this run"):
        fm.generate(model, bert_tok, TWO, history=bert_tok.source)
    assert model.runs == []


# ----------------------------------------------------------------------------- fill_mask as a case of it
def test_fill_mask_iterative_is_generate_one_mask_per_step(bert_model, bert_tok):
    steps = fm.fill_mask(bert_model, bert_tok, "[MASK] cat [MASK] on the [MASK].", strategy="iterative")
    (out,) = fm.generate(bert_model, bert_tok, "[MASK] cat [MASK] on the [MASK].", exclude_special=False)
    assert [s["token"] for s in steps] == [int(s.tokens[0]) for s in out.steps]
    assert steps[-1]["sequence"] == out.text


def test_fill_mask_takes_a_list_of_texts_batched(bert_model, bert_tok):
    texts = ["the cat [MASK] on the mat.", TWO, "a [MASK] day at the [MASK] house [MASK]."]
    for strategy in ("independent", "iterative"):
        batched = fm.fill_mask(bert_model, bert_tok, texts, strategy=strategy, batch_size=2)
        alone = [fm.fill_mask(bert_model, bert_tok, t, strategy=strategy) for t in texts]
        for a, b in zip(batched, alone):
            flat_a = [c for group in a for c in (group if isinstance(group, list) else [group])]
            flat_b = [c for group in b for c in (group if isinstance(group, list) else [group])]
            assert flat_a == flat_b  # ONNX Runtime: a text's logits do not depend on its batch, so bit for bit


def test_fill_mask_sampling_over_a_list_matches_each_text_alone(bert_model, bert_tok):
    options = {"strategy": "iterative", "sample": True, "top_k": 50, "temperature": 2.0, "seed": 5}
    texts = [TWO, "[MASK] [MASK] cat"]
    batched = fm.fill_mask(bert_model, bert_tok, texts, **options)
    for steps, alone in zip(batched, [fm.fill_mask(bert_model, bert_tok, t, **options) for t in texts]):
        assert steps == alone  # masks, tokens, sequences and scores, bit for bit
