"""Unmasking schedules: how many of a prompt's M masks each of T steps fills.

A named schedule is a masked fraction ``f(r)`` falling from ``f(0) = 1`` to ``f(1) = 0``; the masks still
masked after step t (of T) are

    n_0 = M,   n_t = min(n_{t-1} - 1, max(T - t, floor(M * f(t / T))))   (n_T = 0),

and step t fills ``c_t = n_{t-1} - n_t`` masks: every step fills at least one, the counts sum to M, and
every step leaves at least one mask per step still to come (MaskGIT's clamp).

* ``"linear"``: ``f(r) = 1 - r``, computed exactly in integers, ``n_t = floor(M * (T - t) / T)``: the
  counts differ by at most one (M=10, T=4: 3, 2, 3, 2).
* ``"cosine"``: ``f(r) = cos(pi/2 * r)`` (MaskGIT, Chang et al. 2022): few masks first, more as the text
  fills in (M=10, T=4: 1, 2, 4, 3). ``floor`` has a 1e-9 slack so that a product that is an integer in
  exact arithmetic is not rounded down by the float cosine.
* a list of T positive ints: the counts themselves; they must sum to M.

``steps=M`` fills one mask per step (both named schedules); ``steps=1`` fills all at once.
"""

from __future__ import annotations

import math
from typing import Sequence, Union

from ..errors import FillMaskError
from ..limits import check_count, is_int, option_label, option_name

__all__ = ["SCHEDULES", "Schedule", "unmask_counts", "check_schedule"]

SCHEDULES = ("linear", "cosine")
Schedule = Union[str, Sequence[int]]


def check_schedule(schedule: Schedule, steps: int | None) -> tuple[Schedule, int | None]:
    """``schedule`` and ``steps`` checked against each other (before any prompt is known).

    Args:
        schedule: "linear", "cosine" or a list of positive step counts.
        steps: the number of steps, at least 1; None for one mask per step (or the list's length).
    Returns:
        ``(schedule, steps)``: a list as a tuple of ints, and ``steps`` resolved from it.

    >>> check_schedule([2, 1], None)
    ((2, 1), 2)
    """
    steps = check_count("steps", steps, allow_none=True, hint="unmasking steps, e.g. 4; or None: one mask per step")
    if isinstance(schedule, str):
        if schedule not in SCHEDULES:
            raise FillMaskError(f"schedule={schedule!r} is not one of {list(SCHEDULES)} or a list of counts per "
                                f"step such as [3, 2, 1]")
        return schedule, None if steps is None else int(steps)
    if not isinstance(schedule, Sequence) or not schedule or not all(is_int(c) and c >= 1 for c in schedule):
        raise FillMaskError(f"schedule={schedule!r} must be 'linear', 'cosine' or a non-empty list of positive "
                            f"counts, one per step, e.g. [3, 2, 1]")
    counts = tuple(int(c) for c in schedule)
    if steps is not None and steps != len(counts):
        raise FillMaskError(f"steps={steps!r} disagrees with schedule={list(counts)} ({len(counts)} steps); drop "
                            f"steps or make them agree")
    return counts, len(counts)


def unmask_counts(n_masks: int, steps: int | None, schedule: Schedule, *, what: str = "the prompt") -> list[int]:
    """How many masks each step fills (see the module docstring).

    Args:
        n_masks: M, the prompt's masks (at least 1).
        steps: T, 1 <= T <= M; None: T = M (one per step), or the list's length.
        schedule: "linear", "cosine" or a list of counts (checked by ``check_schedule``).
        what: how messages name the prompt.
    Returns:
        T positive ints summing to M.

    >>> unmask_counts(10, 4, "linear"), unmask_counts(10, 4, "cosine"), unmask_counts(3, 1, "cosine")
    ([3, 2, 3, 2], [1, 2, 4, 3], [3])
    """
    schedule, steps = check_schedule(schedule, steps)
    if not isinstance(schedule, str):
        if sum(schedule) != n_masks:
            raise FillMaskError(f"schedule={list(schedule)} fills {sum(schedule)} masks but {what} has {n_masks}; "
                                f"make the counts sum to {n_masks}")
        return list(schedule)
    total = n_masks if steps is None else steps
    if total > n_masks:
        raise FillMaskError(f"{option_label('steps', total)} is more than the {n_masks} mask(s) of {what}; every step "
                            f"fills at least one mask: pass {option_name('steps')} <= {n_masks}")
    counts, left = [], n_masks
    for t in range(1, total + 1):
        if schedule == "linear":
            target = n_masks * (total - t) // total
        else:
            target = math.floor(n_masks * math.cos(math.pi / 2 * t / total) + 1e-9)
        after = 0 if t == total else min(left - 1, max(total - t, target))
        counts.append(left - after)
        left = after
    return counts
