"""The NumPy backend is batch-invariant in float32: a sample's logits, and so its pseudo-log-likelihood and its
generated tokens, are bit-identical whatever else is in its batch, the batch size, the padded length, the
order and the thread count. Property tests over random batch compositions, on every golden family's
checkpoint (no torch numbers are read: no golden marker)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fillmask_np as fm

from helpers import EVAL_TXT, GOLDEN, load_manifest, load_npz

FAMILIES = sorted(load_manifest()["models"])
_CACHE: dict[str, tuple[fm.NumpyMaskedLM, fm.NumpyMaskedLM, fm.Tokenizer, list[np.ndarray], list[np.ndarray]]] = {}
PROPERTY = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _family(name: str) -> tuple[fm.NumpyMaskedLM, fm.NumpyMaskedLM, fm.Tokenizer, list[np.ndarray], list[np.ndarray]]:
    """(model on every CPU, model on one thread, tokenizer, each case row's real ids, their token types)."""
    if name not in _CACHE:
        directory = GOLDEN / load_manifest()["models"][name]["dir"]
        case = load_npz(GOLDEN / "cases" / f"{name}_p15.npz")
        lengths = case["attention_mask"].sum(axis=1)
        types = case.get("token_type_ids")
        rows = [case["masked_input_ids"][i, :n] for i, n in enumerate(lengths)]
        type_rows = [np.zeros(n, np.int64) if types is None else types[i, :n] for i, n in enumerate(lengths)]
        _CACHE[name] = (fm.NumpyMaskedLM(directory), fm.NumpyMaskedLM(directory, threads=1),
                        fm.Tokenizer.from_dir(directory), rows, type_rows)
    return _CACHE[name]


def _batch(rows: list[np.ndarray], types: list[np.ndarray], picks: list[int],
           extra: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The picked rows right-padded with id 0 to the longest plus ``extra``: [B, L] ids, mask, token types."""
    length = max(len(rows[p]) for p in picks) + extra
    ids, mask, kinds = (np.zeros((len(picks), length), np.int64) for _ in range(3))
    for b, p in enumerate(picks):
        ids[b, : len(rows[p])], mask[b, : len(rows[p])], kinds[b, : len(rows[p])] = rows[p], 1, types[p]
    return ids, mask, kinds


def _scored(row: np.ndarray, seed: int) -> np.ndarray:
    """Positions of one row to score: about half of them, chosen by ``seed``."""
    chosen = np.random.default_rng([seed, len(row)]).random(len(row)) < 0.5
    return np.flatnonzero(chosen) if chosen.any() else np.array([0])


def _alone(model: fm.NumpyMaskedLM, rows: list[np.ndarray], types: list[np.ndarray], p: int, seed: int) -> np.ndarray:
    """Row ``p``'s logits at its scored positions, run as a batch of one with no padding: [m, V]."""
    ids, mask, kinds = _batch(rows, types, [p], 0)
    where = _scored(rows[p], seed)
    return model.masked_logits(ids, mask, kinds, np.stack([np.zeros_like(where), where], axis=1))


@pytest.mark.parametrize("name", FAMILIES)
@PROPERTY
@given(data=st.data())
def test_masked_logits_of_a_row_do_not_depend_on_its_batch(name, data):
    model, _, _, rows, types = _family(name)
    picks = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=1, max_size=6), label="rows")
    extra = data.draw(st.integers(0, 5), label="extra padding")
    ids, mask, kinds = _batch(rows, types, picks, extra)
    positions = np.concatenate([np.stack([np.full(len(w), b), w], axis=1)
                                for b, w in enumerate(_scored(rows[p], 0) for p in picks)])
    order = np.random.default_rng(len(picks)).permutation(len(positions))  # the rows asked in any order
    logits = model.masked_logits(ids, mask, kinds, positions[order])
    for b, p in enumerate(picks):
        mine = positions[order][:, 0] == b
        asked = positions[order][mine][:, 1]  # row b's positions, in the order asked
        expected = _alone(model, rows, types, p, 0)[np.searchsorted(_scored(rows[p], 0), asked)]
        np.testing.assert_array_equal(logits[mine], expected)


@pytest.mark.parametrize("name", FAMILIES)
@PROPERTY
@given(data=st.data())
def test_rows_of_one_length_run_as_one_group_still_give_each_row_its_own_logits(name, data):
    model, _, _, rows, types = _family(name)
    cut = min(len(row) for row in rows)  # every row cut to one length: they run as [G, L] groups
    short, short_types = [row[:cut] for row in rows], [kind[:cut] for kind in types]
    picks = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=7), label="rows")
    ids, mask, kinds = _batch(short, short_types, picks, 0)
    positions = np.concatenate([np.stack([np.full(len(w), b), w], axis=1)
                                for b, w in enumerate(_scored(short[p], 0) for p in picks)])
    logits = model.masked_logits(ids, mask, kinds, positions)
    for b, p in enumerate(picks):
        np.testing.assert_array_equal(logits[positions[:, 0] == b], _alone(model, short, short_types, p, 0))


@pytest.mark.parametrize("name", FAMILIES)
def test_masked_logits_do_not_depend_on_the_thread_count(name):
    model, one_thread, _, rows, types = _family(name)
    ids, mask, kinds = _batch(rows, types, list(range(len(rows))), 3)
    positions = np.argwhere(mask == 1)
    np.testing.assert_array_equal(model.masked_logits(ids, mask, kinds, positions),
                                  one_thread.masked_logits(ids, mask, kinds, positions))


@pytest.mark.parametrize("name", FAMILIES)
def test_every_position_call_matches_masked_logits_at_the_real_positions(name):
    model, _, _, rows, types = _family(name)
    ids, mask, kinds = _batch(rows, types, [0, 1, 2], 2)
    positions = np.argwhere(mask == 1)
    full = model(ids, mask, kinds if model.network.uses_token_types else None)  # [B, L, V]
    np.testing.assert_array_equal(full[positions[:, 0], positions[:, 1]],
                                  model.masked_logits(ids, mask, kinds, positions))


def _texts(name: str) -> list[str]:
    """The first 8 lines of the family's golden text (proteins for ESM-2)."""
    text = GOLDEN / "text" / "protein_eval.txt" if name == "esm" else EVAL_TXT
    return [line for line in text.read_text(encoding="utf-8").splitlines() if line.strip()][:8]


@pytest.mark.parametrize("name", FAMILIES)
@PROPERTY
@given(data=st.data())
def test_pseudo_log_likelihood_of_a_text_does_not_depend_on_its_batch(name, data):
    model, _, tok, _, _ = _family(name)
    texts = _texts(name)
    order = data.draw(st.permutations(range(len(texts))), label="order")
    budget = data.draw(st.sampled_from([64, 200, 1000, 100_000]), label="token budget")
    alone = [fm.pseudo_log_likelihood(model, tok, [t]).per_sample["pseudo_log_likelihood"][0] for t in texts]
    report = fm.pseudo_log_likelihood(model, tok, [texts[i] for i in order], token_budget=budget)
    np.testing.assert_array_equal(report.per_sample["pseudo_log_likelihood"], np.array(alone)[list(order)])


@pytest.mark.parametrize("name", FAMILIES)
@PROPERTY
@given(data=st.data())
def test_generated_tokens_do_not_depend_on_the_batch(name, data):
    model, _, tok, _, _ = _family(name)
    prompts = [t[: max(1, len(t) // 2)] for t in _texts(name)[:5]]
    size = data.draw(st.integers(1, 5), label="batch size")
    order = data.draw(st.permutations(range(len(prompts))), label="order")
    alone = [fm.generate(model, tok, [p], new_tokens=3, batch_size=1) for p in prompts]
    together = fm.generate(model, tok, [prompts[i] for i in order], new_tokens=3, batch_size=size)
    for mine, i in zip(together.items, order, strict=True):  # the tokens and every step's probabilities
        theirs = alone[i].items[0]
        assert (mine.text, mine.ids.tolist(), repr(mine.steps)) == (theirs.text, theirs.ids.tolist(),
                                                                     repr(theirs.steps))
