"""Totals of a comparison: one row of paired figures per scored sample and each masked token's ΔNLL.

Per-sample sums are ``math.fsum`` of the sample's tokens and corpus sums ``math.fsum`` of the samples';
the ΔNLL the bootstrap resamples is kept per token and put in (sample, position) order before it is
resampled. So the figures, the bootstrap interval included, do not depend on how the corpus was batched
or sharded: ``PairedTotals.merge`` of any split gives one run's figures bit for bit.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import DataError
from ..numerics import PairedRows
from .sample_rows import columns_from_state, merge_columns, row_fsums

__all__ = ["PairedTotals", "PAIRED_SAMPLE_KEYS", "PAIRED_TOKEN_KEYS"]

PAIRED_SAMPLE_KEYS = ("index", "n", "kl", "agree", "overlap", "cosine", "min_cosine", "max_abs")
PAIRED_TOKEN_KEYS = ("sample", "position", "delta")  # delta = candidate NLL - reference NLL


class PairedTotals:
    """One row of ``PAIRED_SAMPLE_KEYS`` per scored sample and the per-token ΔNLL (``PAIRED_TOKEN_KEYS``)."""

    def __init__(self) -> None:
        self.samples: dict[str, list] = {key: [] for key in PAIRED_SAMPLE_KEYS}
        self.token_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (sample, position, delta), [m] each

    def add(self, rows: PairedRows, indices: Sequence[int], row: np.ndarray, position: np.ndarray) -> None:
        """Add one pass's [m] per-token figures; token j is at ``position[j]`` of sample ``indices[row[j]]``."""
        b = len(indices)
        counts = np.bincount(row, minlength=b)  # [m] -> [b]
        agree = np.bincount(row, weights=rows.top1_agree, minlength=b)  # [m] -> [b], exact small integers
        kl, overlap, cosine = (row_fsums(v, row, b) for v in (rows.kl, rows.top5_overlap, rows.cosine))
        for r in np.flatnonzero(counts).tolist():
            mine = row == r
            values = (int(indices[r]), int(counts[r]), kl[r], int(agree[r]), overlap[r], cosine[r],
                      float(np.min(rows.cosine[mine])), float(np.max(rows.max_abs[mine])))
            for key, value in zip(PAIRED_SAMPLE_KEYS, values):
                self.samples[key].append(value)
        sample = np.asarray(indices, dtype=np.int64)[row]  # [m]
        self.token_parts.append((sample, np.asarray(position, dtype=np.int64), rows.nll_cand - rows.nll_ref))

    @property
    def n(self) -> int:
        """Masked tokens scored by both models."""
        return sum(self.samples["n"])

    def mean(self, key: str) -> float:
        """The mean over masked tokens of ``kl``, ``agree``, ``overlap`` or ``cosine`` (correctly rounded sums)."""
        column = self.samples[key]
        total = sum(column) if key == "agree" else math.fsum(column)
        return total / self.n

    @property
    def min_cosine(self) -> float:
        """The smallest cosine of two logit rows."""
        return min(self.samples["min_cosine"], default=math.inf)

    @property
    def max_abs(self) -> float:
        """The largest |logit_cand - logit_ref| over masked positions and the vocabulary."""
        return max(self.samples["max_abs"], default=0.0)

    def tokens(self) -> dict[str, np.ndarray]:
        """Every masked token's ``PAIRED_TOKEN_KEYS``, in (sample, position) order ([M] each)."""
        if not self.token_parts:
            return {"sample": np.zeros(0, np.int64), "position": np.zeros(0, np.int64), "delta": np.zeros(0)}
        sample, position, delta = (np.concatenate(c) for c in zip(*self.token_parts))
        order = np.lexsort((position, sample))
        return {"sample": sample[order], "position": position[order], "delta": delta[order]}

    def delta(self) -> np.ndarray:
        """[M] float64 ΔNLL per masked token, in (sample, position) order: what the bootstrap resamples."""
        return self.tokens()["delta"]

    def state(self) -> dict[str, Any]:
        """A JSON-ready copy (floats round-trip exactly through ``json``): ``{"samples", "tokens"}``."""
        return {"samples": {k: list(v) for k, v in self.samples.items()},
                "tokens": {k: v.tolist() for k, v in self.tokens().items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PairedTotals:
        """The totals saved by ``state()``; ``DataError`` when a key is missing or the columns differ in length."""
        totals = cls()
        try:
            samples = state["samples"]
            tokens = [np.asarray(state["tokens"][k], dtype=np.float64 if k == "delta" else np.int64)
                      for k in PAIRED_TOKEN_KEYS]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"comparison totals lack {exc}; the partial was not written by fillmask_np") from exc
        if len({len(t) for t in tokens}) > 1:
            raise DataError("comparison totals have per-token columns of different lengths; the partial is damaged")
        floats = ("kl", "overlap", "cosine", "min_cosine", "max_abs")
        totals.samples = columns_from_state(samples, PAIRED_SAMPLE_KEYS, floats, "comparison")
        sample, position, delta = tokens
        totals.token_parts = [(sample, position, delta)]
        return totals

    @classmethod
    def merge(cls, parts: Sequence[PairedTotals]) -> PairedTotals:
        """One ``PairedTotals`` of disjoint parts of a corpus; ``DataError`` naming a sample in two parts."""
        merged = cls()
        merged.samples = merge_columns([p.samples for p in parts], PAIRED_SAMPLE_KEYS)
        merged.token_parts = [t for p in parts for t in p.token_parts]
        return merged
