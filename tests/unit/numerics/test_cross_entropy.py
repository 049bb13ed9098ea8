"""log_softmax / logsumexp / cross_entropy: hand-derived values, torch semantics, stability."""

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


def test_cross_entropy_of_uniform_logits_is_log_vocab():
    assert fm.cross_entropy(np.zeros((3, 50)), np.array([0, 7, 49])) == pytest.approx(math.log(50), rel=1e-15)


def test_cross_entropy_mean_ignores_ignore_index():
    logits = np.array([[0.0, math.log(3.0)], [5.0, 0.0], [1.0, 2.0]])
    labels = np.array([1, -100, 0])
    expected = (-math.log(0.75) + math.log(1 + math.e)) / 2
    assert fm.cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_sum_and_none_reductions_agree():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(2, 5, 11)), rng.integers(0, 11, size=(2, 5))
    labels[0, 1] = -100
    per_token = fm.cross_entropy(logits, labels, reduction="none")
    assert per_token.shape == (2, 5) and per_token[0, 1] == 0.0
    assert fm.cross_entropy(logits, labels, reduction="sum") == pytest.approx(per_token.sum(), rel=1e-14)
    assert fm.cross_entropy(logits, labels) == pytest.approx(per_token.sum() / 9, rel=1e-14)


def test_cross_entropy_custom_ignore_index():
    logits = np.zeros((2, 4))
    assert fm.cross_entropy(logits, np.array([3, 0]), ignore_index=0) == pytest.approx(math.log(4))


def test_cross_entropy_of_only_ignored_labels_is_nan_as_torch():
    assert math.isnan(fm.cross_entropy(np.zeros((2, 4)), np.array([-100, -100])))


def test_cross_entropy_float16_logits_are_computed_in_float32():
    logits = np.array([[60000.0, 0.0]], dtype=np.float16)
    assert fm.cross_entropy(logits, np.array([1])) == pytest.approx(60000.0, rel=1e-6)


@pytest.mark.parametrize("bad, count", [(np.nan, "2 NaN and 0 inf"), (np.inf, "0 NaN and 2 inf")])
def test_non_finite_logits_raise_with_their_count(bad, count):
    logits = np.zeros((2, 3, 5), dtype=np.float32)
    logits[0, 1, 2] = logits[1, 0, 0] = bad
    labels = np.array([[1, 2, 3], [4, 0, 1]])
    with pytest.raises(fm.NumericsError, match=count):
        fm.cross_entropy(logits, labels)


def test_non_finite_logits_at_ignored_positions_are_never_read():
    logits = np.zeros((2, 5))
    logits[1] = np.nan
    assert fm.cross_entropy(logits, np.array([1, -100])) == pytest.approx(math.log(5))


def test_labels_outside_the_vocabulary_raise():
    with pytest.raises(fm.NumericsError, match=r"outside \[0, 4\)"):
        fm.cross_entropy(np.zeros((2, 4)), np.array([1, 4]))


def test_shape_mismatch_raises_with_both_shapes():
    with pytest.raises(fm.NumericsError, match=r"\(2, 4\).*\(3,\)"):
        fm.cross_entropy(np.zeros((2, 4)), np.array([1, 2, 3]))


def test_float_labels_raise():
    with pytest.raises(fm.NumericsError, match="integers"):
        fm.cross_entropy(np.zeros((2, 4)), np.array([1.0, 2.0]))


def test_unknown_reduction_raises():
    with pytest.raises(fm.NumericsError, match="reduction='avg'"):
        fm.cross_entropy(np.zeros((1, 4)), np.array([1]), reduction="avg")


@pytest.mark.parametrize("top", [False, True])
@pytest.mark.parametrize("indexed", [False, True])
def test_many_rows_scored_in_threads_give_the_serial_bits(top, indexed):
    from fillmask_np.numerics.rows import _PARALLEL_MIN_ROWS, _row_scores_serial
    from fillmask_np.numerics.rows import row_scores as _row_scores

    rng = np.random.default_rng(3)
    rows = (rng.standard_normal((5 * _PARALLEL_MIN_ROWS + 3, 257)) * 4).astype(np.float32)
    targets = rng.integers(0, 257, len(rows))
    index = rng.permutation(len(rows)) if indexed else None
    threaded = _row_scores(rows, targets, top=top, index=index)
    serial = _row_scores_serial(rows, targets, top=top, index=index, ranks=True)
    for a, b in zip(threaded, serial):
        assert (a is None and b is None) or np.array_equal(a, b)
