"""The figures of a comparison: the public ``CompareReport``, built from ``metrics.PairedTotals``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..metrics import PairedTotals, Thresholds, judge, relative
from ..numerics import paired_bootstrap
from .eval_report import EvalReport
from .jsonable import json_ready

__all__ = ["CompareReport"]


@dataclass
class CompareReport:
    """What ``compare`` measured: both models' figures on identical masks, their differences and a verdict.

    ``delta_cross_entropy`` is CE(candidate) - CE(reference) in nats per masked token and
    ``relative_delta`` that over CE(reference). The verdict weighs the criteria (``metrics.criteria``): the
    relative ΔCE at the upper end of its bootstrap interval (the point estimate without one), the mean KL, the
    top-1 agreement, the top-5 overlap and, under the fidelity profile, the largest |Δlogit|; ``profile``
    names the profile (fidelity or lossy) and why it was picked. PASS when every one is within its AT_RISK threshold,
    REGRESSION when any is beyond its REGRESSION threshold, else AT_RISK (thresholds inclusive).
    ``criteria`` has each one's value, thresholds and status, ``reasons`` the lines of those that decided
    (every criterion's for a PASS, else those at the verdict's status).
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
    thresholds: dict[str, float | None] = field(default_factory=dict)  # every criterion's, by ``Thresholds`` name
    profile: dict[str, str] = field(default_factory=dict)  # name (fidelity | lossy), reason, thresholds (preset | given)
    criteria: list[dict[str, Any]] = field(default_factory=list)  # name, value, at_risk, regression, status, ...
    reasons: list[str] = field(default_factory=list)  # one line per criterion that decided the verdict
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    # the mergeable paired totals (``save_partial``, ``fm.merge``); not in ``to_dict``
    totals: PairedTotals | None = field(default=None, repr=False, compare=False)
    # partial=PATH: {"path", "sha256"} of the partial file this run wrote (``fm.merge`` reads it)
    saved_partial: dict[str, str] | None = None
    # a Ray run's record (``fillmask_np.distributed``): the nodes that scored blocks with their sample counts, the
    # blocks and the in-flight bound; not in ``to_dict`` (the figures are the one-process run's, bit for bit)
    ray: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure and its provenance (a non-finite float becomes None)."""
        out = json_ready(self)
        for side in ("candidate", "reference"):  # their settings are the comparison's, given once at the top
            out[side] = {k: v for k, v in getattr(self, side).to_dict().items() if k != "settings"}
        return out

    @classmethod
    def from_totals(cls, totals: PairedTotals, cand: EvalReport, ref: EvalReport, *, bootstrap: int,
                    bootstrap_seed: int, thresholds: Thresholds, settings: dict[str, Any],
                    provenance: dict[str, Any], profile: dict[str, str] | None = None) -> CompareReport:
        """The ``CompareReport`` of both models' ``EvalReport``, the paired ``totals`` and the ``thresholds``."""
        delta_ce = cand.cross_entropy - ref.cross_entropy
        rel = relative(delta_ce, ref.cross_entropy)
        ci = paired_bootstrap(totals.delta(), bootstrap, bootstrap_seed)  # [M] -> (low, high)
        kl, agree, overlap = totals.mean("kl"), totals.mean("agree"), totals.mean("overlap")
        worst_delta = rel if ci is None else relative(ci[1], ref.cross_entropy)
        status, criteria = judge(worst_delta, kl, agree, overlap, thresholds, delta_from_interval=ci is not None,
                                 max_abs_logit_diff=totals.max_abs)
        return cls(
            verdict=status, delta_cross_entropy=delta_ce, relative_delta=rel,
            delta_ci95=None if ci is None else list(ci), mean_kl=kl, top1_agreement=agree,
            top5_overlap=overlap, max_abs_logit_diff=totals.max_abs, mean_cosine=totals.mean("cosine"),
            min_cosine=totals.min_cosine, n_masked=totals.n, candidate=cand, reference=ref,
            thresholds=asdict(thresholds), profile=dict(profile or {}), criteria=[c.to_dict() for c in criteria],
            reasons=[c.reason() for c in criteria if c.status == status], settings=settings, provenance=provenance,
            totals=totals)
