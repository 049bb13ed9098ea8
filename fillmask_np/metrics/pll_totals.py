"""Totals of a pseudo-log-likelihood run: counts and one row per scored sample, mergeable bit for bit.

A sample's PLL is ``math.fsum`` of its tokens' log-probabilities, taken once every copy of the sample has
been scored (``close_window``), so it does not depend on how the copies were packed into batches; the
corpus PLL is ``math.fsum`` of the per-sample PLLs, so it does not depend on their order, nor on how
the corpus was sharded (``PLLTotals.merge``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import DataError
from .counts import PLL_COUNT_KEYS, new_counts
from .sample_rows import columns_from_state, counts_from_state, merge_columns, merge_counts, row_fsums

__all__ = ["PLLTotals", "PLL_SAMPLE_KEYS", "TOKEN_KEYS"]

TOKEN_KEYS = ("sample", "position", "token_id", "log_prob", "rank")
PLL_SAMPLE_KEYS = ("index", "position", "pll", "n_scored")  # one entry per scored sample


class PLLTotals:
    """Counts, one row of ``PLL_SAMPLE_KEYS`` per scored sample and, when asked, every scored token."""

    def __init__(self, *, return_tokens: bool) -> None:
        self.counts = new_counts(PLL_COUNT_KEYS)
        self.position_of: dict[int, int] = {}  # sample index -> place in the source, for the open window
        self.samples: dict[str, list] = {key: [] for key in PLL_SAMPLE_KEYS}
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # the open window's (samples [R], log_prob [R])
        self.parts: list[tuple[np.ndarray, ...]] | None = [] if return_tokens else None

    def add(self, samples: np.ndarray, positions: np.ndarray, labels: np.ndarray, log_prob: np.ndarray,
            rank: np.ndarray) -> None:
        """Add a pass's [R] float64 log-probs (with their sample, position, token id and rank)."""
        self.pending.append((np.asarray(samples), np.asarray(log_prob, dtype=np.float64)))
        if self.parts is not None:
            self.parts.append((samples, positions, labels, log_prob, rank))

    def close_window(self) -> None:
        """Sum the samples whose every copy has been added (``add``) into their rows."""
        if self.pending:
            samples = np.concatenate([p[0] for p in self.pending])  # [R]
            log_prob = np.concatenate([p[1] for p in self.pending])  # [R]
            found, inverse = np.unique(samples, return_inverse=True)  # [S], [R]
            counts = np.bincount(inverse, minlength=len(found))  # [R] -> [S]
            for index, total, count in zip(found.tolist(), row_fsums(log_prob, inverse, len(found)), counts.tolist()):
                for key, value in zip(PLL_SAMPLE_KEYS, (index, self.position_of[index], total, count)):
                    self.samples[key].append(value)
        self.pending, self.position_of = [], {}

    def tokens(self) -> dict[str, np.ndarray] | None:
        """Every scored token (``TOKEN_KEYS``), sorted by (sample, position); None unless asked for."""
        if not self.parts:
            return None
        columns = [np.concatenate(c) for c in zip(*self.parts)]  # [R] each
        order = np.lexsort((columns[1], columns[0]))  # by sample, then position
        return {key: column[order] for key, column in zip(TOKEN_KEYS, columns)}

    def state(self) -> dict[str, Any]:
        """A JSON-ready copy (floats round-trip exactly through ``json``): ``{"counts", "samples"}``."""
        return {"counts": dict(self.counts), "samples": {k: list(v) for k, v in self.samples.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PLLTotals:
        """The totals saved by ``state()``; ``DataError`` when a key is missing or the columns differ in length."""
        totals = cls(return_tokens=False)
        try:
            samples = state["samples"]
        except (KeyError, TypeError) as exc:
            raise DataError(f"pseudo-log-likelihood totals lack {exc}; the partial was not written by "
                            f"fillmask_np") from exc
        totals.counts = counts_from_state(state, PLL_COUNT_KEYS, "pseudo-log-likelihood")
        totals.samples = columns_from_state(samples, PLL_SAMPLE_KEYS, ("pll",), "pseudo-log-likelihood")
        return totals

    @classmethod
    def merge(cls, parts: Sequence[PLLTotals]) -> PLLTotals:
        """One ``PLLTotals`` of disjoint parts of a corpus; ``DataError`` naming a sample scored in two parts."""
        merged = cls(return_tokens=False)
        merged.counts = merge_counts([p.counts for p in parts])
        merged.samples = merge_columns([p.samples for p in parts], PLL_SAMPLE_KEYS)
        return merged
