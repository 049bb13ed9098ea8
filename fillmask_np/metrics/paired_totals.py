"""Running sums of a comparison's paired figures, plus the per-token ΔNLL that the bootstrap resamples."""

from __future__ import annotations

import math

import numpy as np

from ..numerics import PairedRows

__all__ = ["PairedTotals"]


class PairedTotals:
    """Running sums of the paired figures, plus the per-token ΔNLL the bootstrap resamples (M floats)."""

    def __init__(self) -> None:
        self.n = self.agree = 0
        self.kl = self.overlap = self.cosine = self.max_abs = 0.0
        self.min_cosine = math.inf
        self.delta: list[np.ndarray] = []

    def add(self, rows: PairedRows) -> None:
        """Add one pass's [m] per-token figures."""
        self.n += len(rows.kl)
        self.kl += float(np.sum(rows.kl, dtype=np.float64))
        self.agree += int(np.count_nonzero(rows.top1_agree))
        self.overlap += float(np.sum(rows.top5_overlap, dtype=np.float64))
        self.cosine += float(np.sum(rows.cosine, dtype=np.float64))
        self.min_cosine = min(self.min_cosine, float(np.min(rows.cosine)))
        self.max_abs = max(self.max_abs, float(np.max(rows.max_abs)))
        self.delta.append(rows.nll_cand - rows.nll_ref)  # [m] float64
