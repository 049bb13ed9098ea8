"""Paired statistics of two models' logits on the same rows: KL, NLL, agreement, cosine and top-k overlap by
hand, their bounds, and the paired bootstrap interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from fillmask_np.numerics import paired_bootstrap, paired_rows, top_k_indices


def test_kl_nll_and_agreement_of_two_rows_match_hand_derived_values():
    ref = np.array([[0.0, 0.0]])  # p = (1/2, 1/2)
    cand = np.array([[math.log(3.0), 0.0]])  # q = (3/4, 1/4)
    rows = paired_rows(ref, cand, np.array([0]))
    assert rows.kl[0] == pytest.approx(0.5 * math.log(4.0 / 3.0), rel=1e-12)  # ½ln(½/¾) + ½ln(½/¼)
    assert rows.nll_ref[0] == pytest.approx(math.log(2.0), rel=1e-7)
    assert rows.nll_cand[0] == pytest.approx(math.log(4.0 / 3.0), rel=1e-7)
    assert rows.top1_agree[0]  # argmax ties go to the lower index: 0 for both
    assert rows.max_abs[0] == pytest.approx(math.log(3.0))


def test_cosine_of_two_rows_matches_hand_derived_value():
    rows = paired_rows(np.array([[1.0, 0.0, 0.0]]), np.array([[1.0, 1.0, 0.0]]), np.array([0]))
    assert rows.cosine[0] == pytest.approx(1.0 / math.sqrt(2.0), rel=1e-12)


def test_top5_overlap_counts_the_shared_top_five_entries():
    ref = np.array([[6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])  # top 5: ids 0..4
    cand = ref[:, ::-1].copy()  # top 5: ids 2..6
    rows = paired_rows(ref, cand, np.array([3]))
    assert rows.top5_overlap[0] == pytest.approx(3 / 5)
    assert not rows.top1_agree[0]


def test_top_k_ties_go_to_the_lower_index():
    assert top_k_indices(np.array([[1.0, 2.0, 2.0, 2.0, 0.0]]), 2).tolist() == [[1, 2]]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3000), st.integers(0, 2**32 - 1))
def test_top_k_equals_a_full_stable_sort(m, vocab, seed):
    x = np.random.default_rng(seed).integers(-3, 4, size=(m, vocab)).astype(np.float64)  # many ties
    expected = np.argsort(-x, axis=1, kind="stable")[:, :5]  # value descending, ties by id
    assert np.array_equal(top_k_indices(x, 5), expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_a_row_block_compared_with_itself_has_zero_divergence(m, vocab, seed):
    rng = np.random.default_rng(seed)
    rows = rng.normal(scale=5.0, size=(m, vocab)).astype(np.float32)
    out = paired_rows(rows, rows.copy(), rng.integers(0, vocab, size=m))
    assert np.all(out.kl == 0) and np.all(out.max_abs == 0) and np.all(out.cosine == 1.0)
    assert np.all(out.top1_agree) and np.all(out.top5_overlap == 1.0)
    assert np.array_equal(out.nll_ref, out.nll_cand)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_kl_is_non_negative_and_cosine_within_bounds(m, vocab, seed):
    rng = np.random.default_rng(seed)
    ref, cand = rng.normal(scale=3.0, size=(2, m, vocab))
    out = paired_rows(ref, cand, rng.integers(0, vocab, size=m))
    assert np.all(out.kl >= -1e-12)
    assert np.all(np.abs(out.cosine) <= 1.0 + 1e-12)


def test_nan_logits_fail_loudly_naming_the_side():
    ref = np.zeros((2, 4))
    cand = ref.copy()
    cand[1, 2] = np.nan
    with pytest.raises(fm.NumericsError, match="candidate logits .* 1 NaN"):
        paired_rows(ref, cand, np.array([0, 1]))


# ---------------------------------------------------------------------------------------------- bootstrap
def test_bootstrap_of_a_constant_difference_is_that_constant():
    assert paired_bootstrap(np.full(50, 0.25), 200, seed=3) == (0.25, 0.25)


def test_bootstrap_is_reproducible_for_a_seed_and_varies_with_it():
    delta = np.random.default_rng(0).normal(size=300)
    assert paired_bootstrap(delta, 300, seed=7) == paired_bootstrap(delta, 300, seed=7)
    assert paired_bootstrap(delta, 300, seed=7) != paired_bootstrap(delta, 300, seed=8)


def test_bootstrap_interval_matches_the_normal_approximation():
    delta = np.random.default_rng(1).normal(loc=0.2, scale=1.0, size=2000)
    low, high = paired_bootstrap(delta, 2000, seed=0)
    half = 1.959964 * delta.std() / math.sqrt(len(delta))  # mean ± z_0.975 · sd / √M
    assert low == pytest.approx(delta.mean() - half, abs=0.15 * half)
    assert high == pytest.approx(delta.mean() + half, abs=0.15 * half)


def test_bootstrap_zero_resamples_gives_no_interval():
    assert paired_bootstrap(np.ones(5), 0, seed=0) is None
