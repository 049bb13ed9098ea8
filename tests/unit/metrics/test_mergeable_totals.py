"""Mergeable totals: correctly rounded per-row sums, exact JSON round trips, disjoint merges only."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fillmask_np.errors import DataError
from fillmask_np.metrics import PLLTotals, Totals
from fillmask_np.metrics.counts import PLL_COUNT_KEYS, new_counts
from fillmask_np.metrics.sample_rows import row_fsums


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-1e6, 1e6)), max_size=60), st.randoms())
def test_row_sums_are_math_fsum_of_each_row_in_any_token_order(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    for pairs in (items, shuffled):
        rows = np.array([r for r, _ in pairs], dtype=np.int64)
        values = np.array([v for _, v in pairs], dtype=np.float64)
        assert row_fsums(values, rows, 5) == [math.fsum(v for r, v in items if r == row) for row in range(5)]


def test_a_row_sum_is_correctly_rounded_where_a_running_sum_is_not():
    values = np.array([1e16, 1.0, -1e16, 1.0])
    assert row_fsums(values, np.zeros(4, dtype=np.int64), 1) == [2.0]
    assert float(np.cumsum(values)[-1]) != 2.0  # what a float running sum gives


def _totals(indices, nll):
    t = Totals({**new_counts(), "n_samples": len(indices)})
    for i, x in zip(indices, nll):
        t.add_batch([i], np.array(x), np.zeros(len(x), dtype=np.int64), np.zeros(len(x), dtype=np.int64), {i: 10 * i})
    return t


def test_totals_survive_a_json_round_trip_bit_for_bit():
    t = _totals([0, 3], [[0.1, 0.2, 1 / 3], [math.pi]])
    back = Totals.from_state(json.loads(json.dumps(t.state())))
    assert back.samples == t.samples and back.counts == t.counts and back.nll == t.nll


def test_merging_parts_in_any_order_gives_the_same_corpus_sum():
    a, b, c = _totals([0], [[0.1, 0.7]]), _totals([1], [[1e-17, 0.3]]), _totals([2], [[2.5]])
    sums = {Totals.merge(p).nll for p in ([a, b, c], [c, a, b], [b, c, a])}
    assert len(sums) == 1 and Totals.merge([a, b, c]).counts == {**new_counts(), "n_samples": 3}


def test_merging_parts_that_share_a_sample_is_refused_naming_it():
    with pytest.raises(DataError, match="sample 1 is in two of the parts"):
        Totals.merge([_totals([0, 1], [[0.1], [0.2]]), _totals([1], [[0.2]])])


def test_totals_from_a_document_without_them_are_refused():
    with pytest.raises(DataError, match="not written by fillmask_np"):
        Totals.from_state({"counts": {}})
    with pytest.raises(DataError, match="different lengths"):
        counts = {**new_counts(PLL_COUNT_KEYS), "n_samples": 1, "n_tokens": 3}
        PLLTotals.from_state({"counts": counts, "samples": {"index": [1], "position": [], "pll": [], "n_scored": []}})


def test_totals_whose_counts_lack_a_key_are_refused_as_another_version():
    state = _totals([0], [[0.1]]).state()
    del state["counts"]["unk_tokens"]
    with pytest.raises(DataError, match="written by another version of fillmask_np or edited"):
        Totals.from_state(state)


def test_totals_with_a_negative_count_are_refused_naming_it():
    state = _totals([0], [[0.1]]).state()
    state["counts"]["text_tokens"] = -4
    with pytest.raises(DataError, match="text_tokens=-4 that is not a non-negative integer"):
        Totals.from_state(state)
