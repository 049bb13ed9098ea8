"""log_softmax / logsumexp: hand-derived values, shift invariance and stability on huge logits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fillmask_np as fm

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=64)
_F32_BOUND = float(np.float32(1.5e38))  # exactly representable
rows = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 40)), elements=finite)


def test_log_softmax_matches_hand_derived_values():
    out = fm.log_softmax(np.array([0.0, math.log(3.0)]))
    np.testing.assert_allclose(out, [math.log(0.25), math.log(0.75)], rtol=1e-15)


def test_logsumexp_of_equal_entries_is_log_n_plus_entry():
    assert fm.logsumexp(np.full(7, 2.5)) == pytest.approx(2.5 + math.log(7), rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(rows, st.floats(-1e3, 1e3))
def test_log_softmax_is_shift_invariant(x, shift):
    np.testing.assert_allclose(fm.log_softmax(x + shift), fm.log_softmax(x), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_logsumexp_of_log_softmax_is_zero(x):
    np.testing.assert_allclose(fm.logsumexp(fm.log_softmax(x)), 0.0, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, st.integers(2, 50), elements=st.floats(-_F32_BOUND, _F32_BOUND, width=32)))
def test_huge_float32_logits_stay_finite(x):
    # |x| <= 1.5e38 keeps every difference x - max inside float32's range (3.4e38)
    assert np.isfinite(fm.log_softmax(x)).all()
    assert np.isfinite(fm.logsumexp(x)).all()


def test_huge_logits_give_exact_probabilities():
    # exp(1e30) overflows, (x - max) does not: the result is log([1, 0]) exactly, not NaN
    out = fm.log_softmax(np.array([1e30, -1e30]))
    assert out[0] == 0.0 and out[1] == -2e30
