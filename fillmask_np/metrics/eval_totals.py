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
from .counts import EVAL_COUNT_KEYS, new_counts
from .sample_rows import columns_from_state, counts_from_state, merge_columns, merge_counts, row_fsums

__all__ = ["Totals", "SAMPLE_KEYS"]

SAMPLE_KEYS = ("index", "position", "n_masked", "nll", "top1", "top5")  # one entry per scored sample


class Totals:
    """Corpus counts (``EVAL_COUNT_KEYS``) and one row of ``SAMPLE_KEYS`` per scored sample."""

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        # the corpus counts (zeroed when not given), shared with the batcher that fills them
        self.counts = new_counts(EVAL_COUNT_KEYS) if counts is None else counts
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
            samples = state["samples"]
        except (KeyError, TypeError) as exc:
            raise DataError(f"evaluation totals lack {exc}; the partial was not written by fillmask_np") from exc
        totals = cls(counts_from_state(state, EVAL_COUNT_KEYS, "evaluation"))
        totals.samples = columns_from_state(samples, SAMPLE_KEYS, ("nll",), "evaluation")
        return totals

    @classmethod
    def merge(cls, parts: Sequence[Totals]) -> Totals:
        """One ``Totals`` of disjoint parts of a corpus; ``DataError`` naming a sample scored in two parts.

        >>> Totals.merge([shard_0, shard_1]).nll == whole.nll  # doctest: +SKIP
        True
        """
        merged = cls(merge_counts([p.counts for p in parts]))
        merged.samples = merge_columns([p.samples for p in parts], SAMPLE_KEYS)
        return merged

