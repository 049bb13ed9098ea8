"""Per-row scores of masked rows: the NLL / rank / top-id scans agree with the plain scan, and threading changes
no bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fillmask_np.numerics import row_nll_and_rank, row_nll_rank_top
from fillmask_np.numerics.rows import row_scores


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(2, 30), st.integers(0, 2**32 - 1), st.booleans())
def test_top_id_scan_matches_the_plain_scan_bit_for_bit(m, v, seed, ties):
    rng = np.random.default_rng(seed)
    rows = rng.integers(-3, 3, size=(m, v)).astype(np.float32) if ties else rng.normal(size=(m, v)).astype(np.float32)
    targets = rng.integers(0, v, size=m)
    nll, rank, top = row_nll_rank_top(rows, targets)
    plain_nll, plain_rank = row_nll_and_rank(rows, targets)
    assert np.array_equal(nll, plain_nll) and np.array_equal(rank, plain_rank)
    assert np.array_equal(top, rows.argmax(axis=1))  # the first of tied maxima, as numpy and torch


@pytest.mark.parametrize("top", [False, True])
@pytest.mark.parametrize("indexed", [False, True])
def test_many_rows_scored_in_threads_give_the_serial_bits(top, indexed):
    from fillmask_np.numerics.rows import _PARALLEL_MIN_ROWS, _row_scores_serial

    rng = np.random.default_rng(3)
    rows = (rng.standard_normal((5 * _PARALLEL_MIN_ROWS + 3, 257)) * 4).astype(np.float32)
    targets = rng.integers(0, 257, len(rows))
    index = rng.permutation(len(rows)) if indexed else None
    threaded = row_scores(rows, targets, top=top, index=index)
    serial = _row_scores_serial(rows, targets, top=top, index=index, ranks=True)
    for a, b in zip(threaded, serial):
        assert (a is None and b is None) or np.array_equal(a, b)
