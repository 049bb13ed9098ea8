"""Per-sample rows, the shape every mergeable total keeps: correctly rounded row sums, columns saved as JSON-ready
lists and read back, and disjoint parts merged (``Totals``, ``PLLTotals``, ``PairedTotals``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import DataError
from ..limits import is_int

__all__ = ["check_disjoint", "columns_from_state", "counts_from_state", "merge_columns", "merge_counts", "row_fsums"]


def row_fsums(values: np.ndarray, rows: np.ndarray, n_rows: int) -> list[float]:
    """[M] values and their [M] row (0..n_rows-1) -> the correctly rounded sum of each row's values.

    >>> row_fsums(np.array([0.1, 0.2, 0.3]), np.array([0, 1, 0]), 2)
    [0.4, 0.2]
    """
    order = np.argsort(rows, kind="stable")  # [M]
    bounds = np.searchsorted(rows[order], np.arange(n_rows + 1))  # [n_rows + 1]
    ordered = np.asarray(values, dtype=np.float64)[order].tolist()
    return [math.fsum(ordered[bounds[r] : bounds[r + 1]]) for r in range(n_rows)]


def merge_counts(parts: Sequence[dict[str, int]]) -> dict[str, int]:
    """The key-wise sum of count dicts with the same keys.

    >>> merge_counts([{"n": 1}, {"n": 2}])
    {'n': 3}
    """
    return {key: sum(int(p[key]) for p in parts) for key in parts[0]}


def check_disjoint(indices: Sequence[int], what: str) -> None:
    """Raise ``DataError`` naming the first index given twice (parts that overlap)."""
    seen: set[int] = set()
    for index in indices:
        if index in seen:
            raise DataError(f"{what} {index} is in two of the parts merged: they overlap; merge each shard once")
        seen.add(index)


def merge_columns(parts: Sequence[dict[str, list]], keys: Sequence[str]) -> dict[str, list]:
    """The per-sample columns of disjoint parts, one after another; ``DataError`` naming a sample in two parts.

    >>> merge_columns([{"index": [0]}, {"index": [2]}], ["index"])
    {'index': [0, 2]}
    """
    merged: dict[str, list] = {key: [] for key in keys}
    for part in parts:
        for key in keys:
            merged[key].extend(part[key])
    check_disjoint(merged["index"], "sample")
    return merged


def counts_from_state(state: Any, keys: Sequence[str], what: str) -> dict[str, int]:
    """A saved ``state["counts"]`` back as ints; ``DataError`` naming ``what`` unless its keys are exactly ``keys``
    (``counts.EVAL_COUNT_KEYS`` or ``PLL_COUNT_KEYS``) and its values non-negative integers.

    >>> counts_from_state({"counts": {"n_samples": 2}}, ["n_samples"], "evaluation")
    {'n_samples': 2}
    """
    try:
        saved = dict(state["counts"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{what} totals lack {exc}; the partial was not written by fillmask_np") from exc
    if sorted(saved) != sorted(keys):
        raise DataError(f"{what} totals count {sorted(saved)}, not {sorted(keys)}; the partial was written by another "
                        f"version of fillmask_np or edited: score that shard again")
    bad = [k for k in keys if not is_int(saved[k]) or saved[k] < 0]
    if bad:
        raise DataError(f"{what} totals have a count {bad[0]}={saved[bad[0]]!r} that is not a non-negative integer; "
                        f"the partial is damaged: score that shard again")
    return {k: int(saved[k]) for k in keys}


def columns_from_state(samples: Any, keys: Sequence[str], floats: Sequence[str], what: str) -> dict[str, list]:
    """Saved per-sample columns back as lists of ints (``floats``: of floats); ``DataError`` naming ``what`` when a
    column is missing or malformed, or the columns differ in length."""
    try:
        columns = {k: list(samples[k]) for k in keys}
        out = {k: [float(v) if k in floats else int(v) for v in columns[k]] for k in keys}
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{what} totals lack {exc}; the partial was not written by fillmask_np") from exc
    if len({len(c) for c in out.values()}) > 1:
        raise DataError(f"{what} totals have per-sample columns of different lengths; the partial is damaged")
    return out
