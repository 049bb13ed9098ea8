"""The figures of a comparison: the public ``CompareReport`` and the running sums that build it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._compare_stats import PairedRows, paired_bootstrap, relative, verdict
from ._eval_report import EvalReport

__all__ = ["CompareReport"]


@dataclass
class CompareReport:
    """What ``compare`` measured: both models' figures on identical masks, their differences and a verdict.

    ``delta_cross_entropy`` is CE(candidate) - CE(reference) in nats per masked token and
    ``relative_delta`` that over CE(reference); the verdict is PASS when ``relative_delta <= at_risk``,
    AT_RISK when ``<= regression``, REGRESSION above (both thresholds inclusive; a lower CE is PASS).
    """

    verdict: str  # PASS | AT_RISK | REGRESSION
    delta_cross_entropy: float
    relative_delta: float
    delta_ci95: list[float] | None  # paired bootstrap over masked tokens of the mean per-token ΔNLL
    mean_kl: float  # mean over masked tokens of KL(reference || candidate), nats
    top1_agreement: float  # share of masked tokens where both models' argmax agree
    top5_overlap: float  # mean |top5_ref ∩ top5_cand| / 5
    max_abs_logit_diff: float  # max |logit_cand - logit_ref| over masked positions and the vocabulary
    mean_cosine: float  # cosine of the two logit rows, mean over masked tokens
    min_cosine: float
    n_masked: int
    candidate: EvalReport
    reference: EvalReport
    thresholds: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure and its provenance (a non-finite float becomes None)."""
        out = asdict(self)
        for side in ("candidate", "reference"):  # their settings are the comparison's, given once at the top
            out[side] = {k: v for k, v in getattr(self, side).to_dict().items() if k != "settings"}
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


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

    def report(self, cand: EvalReport, ref: EvalReport, *, bootstrap: int, bootstrap_seed: int, at_risk: float,
               regression: float, settings: dict[str, Any], provenance: dict[str, Any]) -> CompareReport:
        """The ``CompareReport`` of both models' ``EvalReport`` and these sums."""
        delta_ce = cand.cross_entropy - ref.cross_entropy
        rel = relative(delta_ce, ref.cross_entropy)
        ci = paired_bootstrap(np.concatenate(self.delta), bootstrap, bootstrap_seed)  # [M] -> (low, high)
        return CompareReport(
            verdict=verdict(rel, at_risk, regression), delta_cross_entropy=delta_ce, relative_delta=rel,
            delta_ci95=None if ci is None else list(ci), mean_kl=self.kl / self.n, top1_agreement=self.agree / self.n,
            top5_overlap=self.overlap / self.n, max_abs_logit_diff=self.max_abs, mean_cosine=self.cosine / self.n,
            min_cosine=self.min_cosine, n_masked=self.n, candidate=cand, reference=ref,
            thresholds={"at_risk": at_risk, "regression": regression}, settings=settings, provenance=provenance)
