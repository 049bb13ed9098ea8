"""The figures of a pseudo-log-likelihood run: the public ``PLLReport``, built from ``metrics.PLLTotals``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError
from ..metrics import PLL_SAMPLE_KEYS, PLLTotals
from .jsonable import json_ready

__all__ = ["PLLReport"]

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
    unk_tokens: int  # tokens that are the tokenizer's unknown token ([UNK]): text it could not read
    text_tokens: int  # tokens that are no special token other than [UNK]: what unk_tokens is a share of
    variant: str
    settings: dict[str, Any] = field(default_factory=dict)
    # per scored sample: index (i-th non-empty sample), position (in the source), pseudo_log_likelihood,
    # n_scored_tokens
    per_sample: dict[str, list] = field(default_factory=dict)
    # with return_tokens=True, one entry per scored token, sorted by (sample, position): sample index,
    # position in the encoded sample (specials included), token_id, log_prob, rank (0 = top-1)
    tokens: dict[str, np.ndarray] | None = None
    # the mergeable totals the figures were computed from (``save_partial``, ``fm.merge``); not in ``to_dict``
    totals: PLLTotals | None = field(default=None, repr=False, compare=False)
    # partial=PATH: {"path", "sha256"} of the partial file this run wrote (``fm.merge`` reads it)
    saved_partial: dict[str, str] | None = None
    # a Ray run's record (``fillmask_np.distributed``): the nodes that scored blocks with their sample counts, the
    # blocks and the in-flight bound; not in ``to_dict`` (the figures are the one-process run's, bit for bit)
    ray: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (a non-finite float becomes None, arrays become lists)."""
        return json_ready(self, arrays="tokens")  # the PPPL overflows to inf when nll_per_token exceeds ~709

    @classmethod
    def from_totals(cls, totals: PLLTotals, variant: str, settings: dict[str, Any]) -> PLLReport:
        """The report of a run's running ``totals``; ``DataError`` when nothing was scored."""
        if totals.counts["n_samples"] == 0:
            raise DataError("the dataset has no non-empty sample; pass a file with one text per line")
        if not totals.samples["index"]:
            raise DataError(f"no token to score in {totals.counts['n_samples']} samples: they encode to special "
                            f"tokens only; check that the texts are not empty after tokenization")
        counts: dict[str, Any] = totals.counts  # Any: the count fields are matched by name, not by type
        rows = sorted(zip(*(totals.samples[k] for k in PLL_SAMPLE_KEYS)))  # by sample index
        index, position, pll, n_scored = (list(c) for c in zip(*rows))
        total = math.fsum(pll)
        count = sum(n_scored)
        per_sample = {"index": index, "position": position, "pseudo_log_likelihood": pll, "n_scored_tokens": n_scored}
        nll = -total / count
        pppl = math.exp(nll) if nll < _EXP_OVERFLOW else float("inf")
        return cls(pseudo_perplexity=pppl, pseudo_log_likelihood=total, nll_per_token=nll,
                   n_scored_tokens=count, n_scored_samples=len(index), variant=variant, settings=settings,
                   per_sample=per_sample, tokens=totals.tokens(), totals=totals, **counts)
