"""cross_entropy: hand-derived values, torch semantics (ignore_index, reductions, NaN when nothing is scored),
float16 logits, and the errors it raises."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fillmask_np as fm


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
