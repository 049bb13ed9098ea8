"""Unmasking schedules: the counts per step of linear, cosine and explicit schedules, and their errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from fillmask_np.tasks.schedules import check_schedule, unmask_counts


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300), st.data(), st.sampled_from(["linear", "cosine"]))
def test_every_step_fills_at_least_one_and_the_counts_sum_to_the_masks(n_masks, data, schedule):
    steps = data.draw(st.integers(1, n_masks))
    counts = unmask_counts(n_masks, steps, schedule)
    assert len(counts) == steps and sum(counts) == n_masks and min(counts) >= 1


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("n_masks", [1, 2, 7, 40])
def test_steps_n_is_one_at_a_time_and_steps_1_is_all_at_once(schedule, n_masks):
    assert unmask_counts(n_masks, n_masks, schedule) == [1] * n_masks
    assert unmask_counts(n_masks, None, schedule) == [1] * n_masks
    assert unmask_counts(n_masks, 1, schedule) == [n_masks]


def test_linear_is_the_integer_masked_fraction_1_minus_t_over_T():
    for n_masks, steps in [(10, 4), (40, 10), (7, 3), (100, 7)]:
        left = [n_masks * (steps - t) // steps for t in range(steps + 1)]
        assert unmask_counts(n_masks, steps, "linear") == [a - b for a, b in zip(left, left[1:])]
    assert unmask_counts(10, 4, "linear") == [3, 2, 3, 2]


def test_cosine_is_maskgit_masked_fraction_cos_pi_over_2_t_over_T():
    # where the floor of M cos(pi/2 t/T) already fills one mask per step or more, it is the count itself
    n_masks, steps = 100, 5
    left = [math.floor(n_masks * math.cos(math.pi / 2 * t / steps)) for t in range(steps + 1)]
    assert unmask_counts(n_masks, steps, "cosine") == [a - b for a, b in zip(left, left[1:])]
    assert unmask_counts(10, 4, "cosine") == [1, 2, 4, 3]
    assert unmask_counts(40, 10, "cosine") == [1, 1, 3, 3, 4, 5, 5, 6, 6, 6]  # few first, more later


def test_cosine_fills_at_least_one_mask_where_the_floor_would_fill_none():
    floors = [math.floor(10 * math.cos(math.pi / 2 * t / 9)) for t in (1, 2)]
    assert floors == [9, 9]  # the bare formula would fill nothing at step 2
    assert unmask_counts(10, 9, "cosine") == [1, 1, 1, 1, 1, 1, 1, 2, 1]


def test_an_explicit_schedule_is_its_counts():
    assert unmask_counts(6, None, [1, 2, 3]) == [1, 2, 3]
    assert unmask_counts(6, 3, (3, 2, 1)) == [3, 2, 1]
    assert check_schedule([2, 1], None) == ((2, 1), 2)


@pytest.mark.parametrize("args, message", [
    ((6, None, [1, 2, 2]), r"schedule=\[1, 2, 2\] fills 5 masks but the prompt has 6"),
    ((6, 2, [1, 2, 3]), r"steps=2 disagrees with schedule=\[1, 2, 3\]"),
    ((6, None, [1, 0, 5]), "must be 'linear', 'cosine' or a non-empty list of positive counts"),
    ((6, None, []), "non-empty list"),
    ((6, None, "exp"), "schedule='exp' is not one of"),
    ((6, 0, "linear"), "steps=0 must be an integer from 1"),
    ((6, 2.5, "linear"), "steps=2.5"),
    ((3, 4, "cosine"), r"steps=4 is more than the 3 mask\(s\) of the prompt"),
])
def test_bad_schedules_are_one_line_errors(args, message):
    with pytest.raises(fm.FillMaskError, match=message):
        unmask_counts(*args)
