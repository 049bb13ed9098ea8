"""Totals of an evaluation: corpus counts and one row of figures per scored sample, mergeable bit for bit.

A sample's figures depend on that sample alone (its own masks, its own row of logits), never on the
batch it was scored in; the corpus figures are built from them at the end: integer counts add exactly
and the corpus NLL is ``math.fsum`` of the per-sample sums, each itself ``math.fsum`` of the sample's
token NLLs. Both sums are correctly rounded, so they do not depend on the order of the samples, nor on
how the corpus was batched, sharded or spread over workers: ``Totals.merge`` of any split of a corpus
gives the same figures, bit for bit, as one run over the whole corpus.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import DataError

__all__ = ["Totals", "SAMPLE_KEYS", "check_disjoint", "row_fsums", "merge_counts"]

SAMPLE_KEYS = ("index", "position", "n_masked", "nll", "top1", "top5")  # one entry per scored sample


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


class Totals:
    """Corpus counts (``masking.new_counts()``) and one row of ``SAMPLE_KEYS`` per scored sample."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts  # the corpus counts, shared with the batcher that fills them
        self.samples: dict[str, list] = {key: [] for key in SAMPLE_KEYS}

    def add_batch(self, indices: list[int], nll: np.ndarray, rank: np.ndarray, row: np.ndarray,
                  position_of: dict[int, int]) -> None:
        """Add a pass's [M] NLL and ranks; ``row`` maps each to ``indices``, ``position_of`` to the source.

        Every masked token of a sample is in the same pass (a pass is whole rows, a row one sample).
        """
        sums = row_fsums(nll, row, len(indices))  # [M] -> [B]
        counts = np.bincount(row, minlength=len(indices))  # [M] -> [B]
        top1 = np.bincount(row, weights=rank < 1, minlength=len(indices))  # [M] -> [B], exact small integers
        top5 = np.bincount(row, weights=rank < 5, minlength=len(indices))
        for r, i in enumerate(indices):
            if counts[r]:
                for key, value in zip(SAMPLE_KEYS, (int(i), position_of[int(i)], int(counts[r]), sums[r],
                                                    int(top1[r]), int(top5[r]))):
                    self.samples[key].append(value)

    # corpus figures, from the per-sample rows: the same for any batching or split of the corpus
    @property
    def nll(self) -> float:
        """The corpus NLL: the correctly rounded sum of the per-sample sums (nats)."""
        return math.fsum(self.samples["nll"])

    @property
    def masked(self) -> int:
        """Masked (scored) tokens."""
        return sum(self.samples["n_masked"])

    @property
    def top1(self) -> int:
        """Masked tokens whose label is the model's first choice."""
        return sum(self.samples["top1"])

    @property
    def top5(self) -> int:
        """Masked tokens whose label is among the model's five first choices."""
        return sum(self.samples["top5"])

    def sorted_samples(self) -> dict[str, list]:
        """The per-sample rows in sample order."""
        order = sorted(range(len(self.samples["index"])), key=self.samples["index"].__getitem__)
        return {key: [column[j] for j in order] for key, column in self.samples.items()}

    def state(self) -> dict[str, Any]:
        """A JSON-ready copy (floats round-trip exactly through ``json``): ``{"counts", "samples"}``."""
        return {"counts": dict(self.counts), "samples": {k: list(v) for k, v in self.samples.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Totals:
        """The totals saved by ``state()``; ``DataError`` when a key is missing or the columns differ in length."""
        try:
            totals = cls({k: int(v) for k, v in state["counts"].items()})
            columns = {k: list(state["samples"][k]) for k in SAMPLE_KEYS}
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"evaluation totals lack {exc}; the partial was not written by fillmask_np") from exc
        if len({len(c) for c in columns.values()}) > 1:
            raise DataError("evaluation totals have per-sample columns of different lengths; the partial is damaged")
        totals.samples = {k: [float(v) if k == "nll" else int(v) for v in columns[k]] for k in SAMPLE_KEYS}
        return totals

    @classmethod
    def merge(cls, parts: Sequence[Totals]) -> Totals:
        """One ``Totals`` of disjoint parts of a corpus; ``DataError`` naming a sample scored in two parts.

        >>> Totals.merge([shard_0, shard_1]).nll == whole.nll  # doctest: +SKIP
        True
        """
        merged = cls(merge_counts([p.counts for p in parts]))
        for part in parts:
            for key in SAMPLE_KEYS:
                merged.samples[key].extend(part.samples[key])
        check_disjoint(merged.samples["index"], "sample")
        return merged


def check_disjoint(indices: Sequence[int], what: str) -> None:
    """Raise ``DataError`` naming the first index given twice (parts that overlap)."""
    if len(set(indices)) != len(indices):
        seen: set[int] = set()
        twice = next(i for i in indices if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DataError(f"{what} {twice} is in two of the parts merged: they overlap; merge each shard once")
