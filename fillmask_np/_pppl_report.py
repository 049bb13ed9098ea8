"""The figures of a pseudo-log-likelihood run: the public ``PLLReport`` and the running totals that build it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["PLLReport"]

_TOKEN_KEYS = ("sample", "position", "token_id", "log_prob", "rank")
_EXP_OVERFLOW = math.log(np.finfo(np.float64).max)  # exp() of more overflows


@dataclass
class PLLReport:
    """What ``pseudo_log_likelihood`` measured (natural logs).

    ``pseudo_perplexity = exp(-pseudo_log_likelihood / n_scored_tokens)``; ``variant`` names how the
    copies were masked ("original" or "within_word_l2r").
    """

    pseudo_perplexity: float
    pseudo_log_likelihood: float  # sum over the scored tokens of log P(token | its masked copy)
    nll_per_token: float  # -pseudo_log_likelihood / n_scored_tokens = log(pseudo_perplexity)
    n_scored_tokens: int  # scored tokens = masked copies run
    n_samples: int  # non-empty samples read
    n_scored_samples: int  # samples with at least one scored token
    n_tokens: int  # real tokens, specials included, of the samples read
    n_empty: int  # empty or whitespace-only samples skipped
    n_unscorable: int  # samples that encode to special tokens only, skipped
    n_truncated: int  # samples cut to max_length
    variant: str
    settings: dict[str, Any] = field(default_factory=dict)
    # per scored sample: index (i-th non-empty sample), position (in the source), pseudo_log_likelihood,
    # n_scored_tokens
    per_sample: dict[str, list] = field(default_factory=dict)
    # with return_tokens=True, one entry per scored token, sorted by (sample, position): sample index,
    # position in the encoded sample (specials included), token_id, log_prob, rank (0 = top-1)
    tokens: dict[str, np.ndarray] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (a non-finite float becomes None, arrays become lists)."""
        out = asdict(self)
        for key, value in out.items():  # the PPPL overflows to inf when nll_per_token exceeds ~709
            if isinstance(value, float) and not np.isfinite(value):
                out[key] = None
        if self.tokens is not None:
            out["tokens"] = {key: np.asarray(value).tolist() for key, value in self.tokens.items()}
        return out


class PLLTotals:
    """Running per-sample sums (a few numbers per sample) and, when asked, every scored token."""

    def __init__(self, *, return_tokens: bool) -> None:
        self.counts = dict(n_samples=0, n_empty=0, n_unscorable=0, n_truncated=0)  # as _eval_batches.non_empty
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

    def report(self, variant: str, settings: dict[str, Any]) -> PLLReport:
        if self.counts["n_samples"] == 0:
            raise DataError("the dataset has no non-empty sample; pass a file with one text per line")
        if not self.n_scored:
            raise DataError(f"no token to score in {self.counts['n_samples']} samples: they encode to special "
                            f"tokens only; check that the texts are not empty after tokenization")
        order = sorted(self.pll)
        total = math.fsum(self.pll[i] for i in order)
        count = sum(self.n_scored.values())
        per_sample = {"index": order, "position": [self.position_of[i] for i in order],
                      "pseudo_log_likelihood": [self.pll[i] for i in order],
                      "n_scored_tokens": [self.n_scored[i] for i in order]}
        nll = -total / count
        pppl = math.exp(nll) if nll < _EXP_OVERFLOW else float("inf")
        return PLLReport(pseudo_perplexity=pppl, pseudo_log_likelihood=total, nll_per_token=nll,
                         n_scored_tokens=count, n_scored_samples=len(order), n_tokens=self.n_tokens,
                         variant=variant, settings=settings, per_sample=per_sample, tokens=self._tokens(),
                         **self.counts)

    def _tokens(self) -> dict[str, np.ndarray] | None:
        if self.parts is None:
            return None
        columns = [np.concatenate(c) for c in zip(*self.parts)]  # report() ran: at least one part
        order = np.lexsort((columns[1], columns[0]))  # by sample, then position
        return {key: column[order] for key, column in zip(_TOKEN_KEYS, columns)}
