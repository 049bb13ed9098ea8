"""The figures of an evaluation: the public ``EvalReport`` and the running totals that build it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .errors import DataError, FillMaskError

__all__ = ["EvalReport"]


@dataclass
class EvalReport:
    """What ``evaluate`` measured. ``cross_entropy`` is the mean NLL (nats) per masked token."""

    cross_entropy: float
    perplexity: float
    top1_accuracy: float
    top5_accuracy: float
    n_samples: int  # non-empty samples read
    n_scored_samples: int  # samples with at least one masked token
    n_masked: int  # masked (scored) tokens
    n_tokens: int  # real tokens, specials included, of the samples read
    n_empty: int  # empty or whitespace-only samples skipped
    n_unmaskable: int  # samples with no maskable token (only special tokens), skipped
    n_no_mask_drawn: int  # maskable samples in which this seed selected nothing
    n_truncated: int  # samples cut to max_length
    settings: dict[str, Any] = field(default_factory=dict)
    # per scored sample: index (i-th non-empty sample), position (in the source), n_masked, cross_entropy
    per_sample: dict[str, list] = field(default_factory=dict)
    # evaluate(return_tokens=True): one record per masked token, sorted by (sample, position), as [T] arrays:
    # sample, position, input_id, label, loss (float64 NLL), rank (of the label, 0 = top-1), top_id (argmax)
    tokens: dict[str, np.ndarray] | None = None
    # evaluate(worst=N): the N highest-loss tokens, highest first: the record's fields plus label_token,
    # top_token and context (a few tokens each side of the target, as the model saw them, target as [[label]])
    worst_tokens: list[dict[str, Any]] | None = None

    def worst(self, n: int) -> dict[str, np.ndarray]:
        """The ``n`` highest-loss records of ``tokens`` (highest first; ties: lower sample, then position).

        >>> report.worst(10)["loss"]  # doctest: +SKIP
        """
        from ._tokens import worst_rows

        if self.tokens is None:
            raise FillMaskError("this report has no per-token records; evaluate with return_tokens=True "
                                "(or worst=N for the worst tokens with their context)")
        return worst_rows(self.tokens, n)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (a non-finite float becomes None; arrays become lists)."""
        out = asdict(self)
        for key, value in out.items():  # perplexity overflows to inf when the cross-entropy exceeds ~709
            if isinstance(value, float) and not np.isfinite(value):
                out[key] = None
        if self.tokens is not None:
            out["tokens"] = {k: np.asarray(v).tolist() for k, v in self.tokens.items()}
        return out


class Totals:
    """Running sums over the corpus and per-sample figures (a few numbers per sample)."""

    def __init__(self) -> None:
        self.nll = 0.0
        self.masked = self.top1 = self.top5 = self.tokens = 0
        self.counts = dict(n_samples=0, n_empty=0, n_unmaskable=0, n_no_mask_drawn=0, n_truncated=0)
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

    def report(self, settings: dict[str, Any]) -> EvalReport:
        if self.counts["n_samples"] == 0:
            raise DataError("the dataset has no non-empty sample; pass a file with one text per line")
        if self.masked == 0:
            raise DataError(f"no token was masked in {self.counts['n_samples']} samples; raise mlm_probability "
                            f"or check that the texts tokenize to more than special tokens")
        ce = self.nll / self.masked
        order = np.argsort(self.index, kind="stable")
        per_sample = {k: [v[j] for j in order] for k, v in
                      (("index", self.index), ("position", self.position), ("n_masked", self.n_masked),
                       ("cross_entropy", self.ce))}
        return EvalReport(cross_entropy=ce, perplexity=float(np.exp(ce)), top1_accuracy=self.top1 / self.masked,
                          top5_accuracy=self.top5 / self.masked, n_scored_samples=len(self.index),
                          n_masked=self.masked, n_tokens=self.tokens, settings=settings, per_sample=per_sample,
                          **self.counts)
