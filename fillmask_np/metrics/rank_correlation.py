"""Spearman's rank correlation (what ProteinGym reports between zero-shot scores and ``DMS_score``), in NumPy:
the Pearson correlation of the two columns' ranks, tied values sharing their average rank (as
``scipy.stats.spearmanr``)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError

__all__ = ["average_ranks", "spearman"]


def average_ranks(x: np.ndarray) -> np.ndarray:
    """[N] values -> [N] float64 ranks 1..N, tied values given the mean of the ranks they span.

    >>> average_ranks(np.array([10.0, 30.0, 20.0, 20.0])).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable")  # [N]
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])  # [G] first index of each run of ties
    ends = np.r_[starts[1:], len(x)]  # [G] one past the last
    mean_rank = (starts + ends + 1) / 2.0  # [G] mean of the 1-based ranks start+1 .. end
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray, *, what: str = "target") -> float | None:
    """Spearman's rho of two equally long columns; None when it is undefined (fewer than 2 values, or a column
    whose values are all equal).

    Args:
        x: [N] scores.
        y: [N] targets (e.g. ``DMS_score``).
        what: how a message names ``y``.
    Returns:
        rho in [-1, 1], or None.
    Raises:
        DataError: a NaN or infinite value, with the count.

    >>> spearman(np.array([1.0, 2.0, 3.0]), np.array([10.0, 30.0, 20.0]))
    0.5
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    for values, name in ((x, "scores"), (y, what)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise DataError(f"{bad} of the {len(values)} {name} are NaN or infinite; Spearman needs finite values: "
                            f"drop or fill those rows")
    if len(x) < 2:
        return None
    rx, ry = average_ranks(x) - (len(x) + 1) / 2.0, average_ranks(y) - (len(y) + 1) / 2.0  # centred ranks [N]
    denominator = math.sqrt(math.fsum(rx * rx) * math.fsum(ry * ry))
    if denominator == 0.0:
        return None
    return math.fsum(rx * ry) / denominator
