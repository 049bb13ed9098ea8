"""``long="window"``: window starts, the window that scores each token, and windows of an encoded row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillmask_np.errors import FillMaskError
from fillmask_np.masking import Windowing, check_long, owner_windows, window_starts

sizes = st.integers(1, 400)


def _owner_by_brute_force(n: int, width: int, starts: np.ndarray) -> list[int]:
    """For each token, the first window with the largest distance to its nearer edge (the issue's rule)."""
    best = []
    for t in range(n):
        scores = [min(t - s, s + width - 1 - t) if s <= t < s + width else -1 for s in starts.tolist()]
        best.append(scores.index(max(scores)))
    return best


@given(n=sizes, width=st.integers(1, 64), data=st.data())
def test_window_starts_step_by_the_stride_and_the_last_window_ends_at_the_last_token(n, width, data) -> None:
    stride = data.draw(st.integers(1, width))
    starts = window_starts(n, width, stride).tolist()
    if n <= width:
        assert starts == [0]
        return
    assert starts[:-1] == list(range(0, n - width, stride))
    assert starts[-1] == n - width


@given(n=sizes, width=st.integers(1, 64), data=st.data())
def test_every_token_is_scored_once_in_the_window_farthest_from_its_edges(n, width, data) -> None:
    stride = data.draw(st.integers(1, width))
    starts = window_starts(n, width, stride)
    owner = owner_windows(n, width, starts)
    assert owner.tolist() == _owner_by_brute_force(n, width, starts)
    assert np.all((starts[owner] <= np.arange(n)) & (np.arange(n) < starts[owner] + width))


@given(length=st.integers(2, 300), width=st.integers(1, 40), prefix=st.integers(0, 2), suffix=st.integers(0, 2),
       data=st.data())
def test_windows_of_a_row_own_each_text_token_exactly_once_and_keep_the_specials(length, width, prefix, suffix,
                                                                                  data) -> None:
    length = max(length, prefix + suffix + 1)
    plan = Windowing(width, data.draw(st.integers(1, width)), prefix, suffix)
    windows = plan.windows(length)
    owned = np.concatenate([w.take[w.owned] for w in windows])
    assert sorted(owned.tolist()) == list(range(prefix, length - suffix))
    for w in windows:
        assert len(w.take) <= plan.max_length
        assert w.take[:prefix].tolist() == list(range(prefix))
        assert w.take[len(w.take) - suffix:].tolist() == list(range(length - suffix, length))
        assert np.all(np.diff(w.take) > 0)


def test_a_row_no_longer_than_the_model_is_one_window_equal_to_the_row() -> None:
    (window,) = Windowing(6, 2, 1, 1).windows(8)
    assert window.take.tolist() == list(range(8))
    assert window.owned.tolist() == [False] + [True] * 6 + [False]


@pytest.mark.parametrize("long, stride, fragment", [
    ("bogus", None, "long='bogus' is not one of 'truncate', 'window'"),
    ("truncate", 8, "stride=8 steps the windows of long='window'"),
    ("window", 0, "stride=0 must be an integer from 1"),
    ("window", 2.5, "stride=2.5 must be an integer"),
])
def test_bad_long_settings_are_refused_naming_the_value(long, stride, fragment) -> None:
    with pytest.raises(FillMaskError, match=fragment.replace("(", r"\(")):
        check_long(long, stride)
