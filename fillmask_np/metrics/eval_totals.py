"""Running totals of an evaluation: corpus sums and per-sample figures, built batch by batch."""

from __future__ import annotations

import numpy as np

__all__ = ["Totals"]


class Totals:
    """Running sums over the corpus and per-sample figures (a few numbers per sample)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.nll = 0.0
        self.masked = self.top1 = self.top5 = 0
        self.counts = counts  # the corpus counts (masking.new_counts()), shared with the batcher that fills them
        self.index: list[int] = []
        self.position: list[int] = []
        self.n_masked: list[int] = []
        self.ce: list[float] = []

    def add_batch(self, indices: list[int], nll: np.ndarray, rank: np.ndarray, row: np.ndarray,
                  position_of: dict[int, int]) -> None:
        """Add a pass's [M] NLL and ranks; ``row`` maps each to ``indices``, ``position_of`` to the source."""
        self.nll += float(np.sum(nll, dtype=np.float64))
        self.masked += len(nll)
        self.top1 += int(np.count_nonzero(rank < 1))
        self.top5 += int(np.count_nonzero(rank < 5))
        sums = np.bincount(row, weights=nll, minlength=len(indices))  # [M] -> [B]
        counts = np.bincount(row, minlength=len(indices))
        for i, s, c in zip(indices, sums, counts):
            if c:
                self.index.append(int(i))
                self.position.append(position_of[int(i)])
                self.n_masked.append(int(c))
                self.ce.append(float(s / c))
