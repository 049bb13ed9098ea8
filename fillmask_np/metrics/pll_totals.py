"""Running totals of a pseudo-log-likelihood run: per-sample sums and, when asked, every scored token."""

from __future__ import annotations

import numpy as np

__all__ = ["PLLTotals", "TOKEN_KEYS"]

TOKEN_KEYS = ("sample", "position", "token_id", "log_prob", "rank")


class PLLTotals:
    """Running per-sample sums (a few numbers per sample) and, when asked, every scored token."""

    def __init__(self, *, return_tokens: bool) -> None:
        self.counts = dict(n_samples=0, n_empty=0, n_unscorable=0, n_truncated=0)  # as text.non_empty counts
        self.n_tokens = 0
        self.position_of: dict[int, int] = {}  # sample index -> place in the source
        self.pll: dict[int, float] = {}
        self.n_scored: dict[int, int] = {}
        self.parts: list[tuple[np.ndarray, ...]] | None = [] if return_tokens else None

    def add(self, samples: np.ndarray, positions: np.ndarray, labels: np.ndarray, log_prob: np.ndarray,
            rank: np.ndarray) -> None:
        """Add a pass's [R] float64 log-probs (with their sample, position, token id and rank)."""
        found, inverse = np.unique(samples, return_inverse=True)
        sums = np.bincount(inverse, weights=log_prob, minlength=len(found))  # [R] -> [S], float64
        counts = np.bincount(inverse, minlength=len(found))
        for index, total, count in zip(found.tolist(), sums.tolist(), counts.tolist()):
            self.pll[index] = self.pll.get(index, 0.0) + total
            self.n_scored[index] = self.n_scored.get(index, 0) + count
        if self.parts is not None:
            self.parts.append((samples, positions, labels, log_prob, rank))

    def tokens(self) -> dict[str, np.ndarray] | None:
        """Every scored token (``TOKEN_KEYS``), sorted by (sample, position); None unless asked for."""
        if self.parts is None:
            return None
        if not self.parts:
            return None
        columns = [np.concatenate(c) for c in zip(*self.parts)]  # [R] each
        order = np.lexsort((columns[1], columns[0]))  # by sample, then position
        return {key: column[order] for key, column in zip(TOKEN_KEYS, columns)}
