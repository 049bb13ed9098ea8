"""Totals of a minimal-pairs run: counts and one row per pair (its two PLLs), mergeable bit for bit.

Each pair's row holds the two sentences' PLLs as the pseudo-log-likelihood run summed them (``math.fsum``
per sentence), so the figures of the merged rows do not depend on how the pairs were sharded; the report
orders the rows by pair index and sums them with ``math.fsum``.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import DataError
from .sample_rows import columns_from_state, counts_from_state, merge_columns, merge_counts

__all__ = ["PAIR_COUNT_KEYS", "PAIR_ROW_KEYS", "PairTotals"]

# pairs read, their real tokens (specials included, both sentences), sentences cut to max_length, unknown and
# text tokens
PAIR_COUNT_KEYS = ("n_pairs", "n_tokens", "n_truncated", "unk_tokens", "text_tokens")
# one entry per pair: its index among the pairs, its place in the source, its texts and group, each side's PLL
# and number of scored tokens
PAIR_ROW_KEYS = ("index", "position", "good", "bad", "group", "good_pll", "bad_pll", "good_tokens", "bad_tokens")
_NUMBERS = ("index", "position", "good_pll", "bad_pll", "good_tokens", "bad_tokens")
_TEXTS = ("good", "bad", "group")


class PairTotals:
    """Counts (``PAIR_COUNT_KEYS``) and one row of ``PAIR_ROW_KEYS`` per scored pair."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(PAIR_COUNT_KEYS, 0)
        self.rows: dict[str, list] = {key: [] for key in PAIR_ROW_KEYS}

    def add(self, row: dict[str, Any]) -> None:
        """Add one pair's row (a value for each of ``PAIR_ROW_KEYS``)."""
        for key in PAIR_ROW_KEYS:
            self.rows[key].append(row[key])

    def state(self) -> dict[str, Any]:
        """A JSON-ready copy (floats round-trip exactly through ``json``): ``{"counts", "rows"}``."""
        return {"counts": dict(self.counts), "rows": {k: list(v) for k, v in self.rows.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PairTotals:
        """The totals saved by ``state()``; ``DataError`` when a key is missing or a column is malformed."""
        totals = cls()
        try:
            rows = state["rows"]
            texts = {k: [None if v is None else str(v) for v in rows[k]] for k in _TEXTS}
        except (KeyError, TypeError) as exc:
            raise DataError(f"minimal-pairs totals lack {exc}; the partial was not written by fillmask_np") from exc
        totals.counts = counts_from_state(state, PAIR_COUNT_KEYS, "minimal-pairs")
        numbers = columns_from_state(rows, _NUMBERS, ("good_pll", "bad_pll"), "minimal-pairs")
        if len({len(c) for c in (*numbers.values(), *texts.values())}) > 1:
            raise DataError("minimal-pairs totals have columns of different lengths; the partial is damaged")
        totals.rows = {k: numbers[k] if k in numbers else texts[k] for k in PAIR_ROW_KEYS}
        return totals

    @classmethod
    def merge(cls, parts: Sequence[PairTotals]) -> PairTotals:
        """One ``PairTotals`` of disjoint parts of the pairs; ``DataError`` naming a pair scored in two parts."""
        merged = cls()
        merged.counts = merge_counts([p.counts for p in parts])
        merged.rows = merge_columns([p.rows for p in parts], PAIR_ROW_KEYS)
        return merged
