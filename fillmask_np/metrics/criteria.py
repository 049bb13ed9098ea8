"""The criteria of a comparison's verdict: each figure against its thresholds, and the worst status wins.

A candidate PASSes only when every criterion is within its AT_RISK threshold; it is a REGRESSION when
any criterion is beyond its REGRESSION threshold, and AT_RISK otherwise. The criteria:

* ``delta_ce``: relative ΔCE, (CE_cand - CE_ref) / CE_ref, at the upper end of the paired bootstrap 95 %
  interval (the point estimate when no bootstrap ran, which the criterion's ``basis`` says);
* ``mean_kl``: mean KL(reference || candidate) over the masked tokens, nats;
* ``top1_agreement``: share of masked tokens where both models' argmax agree (lower is worse);
* ``top5_overlap``: mean |top5_ref ∩ top5_cand| / 5 (lower is worse): what ``fill_mask`` shows;
* ``max_abs_logit_diff``: the largest |logit_cand - logit_ref| over the masked positions and the vocabulary,
  judged only when the thresholds set its bounds (the fidelity profile does).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .thresholds import Thresholds, verdict

__all__ = ["Criterion", "SEVERITY", "judge", "show_criterion"]

SEVERITY = ("PASS", "AT_RISK", "REGRESSION")  # in order

_LABELS = {"delta_ce": "ΔCE", "mean_kl": "KL(ref||cand)", "top1_agreement": "top-1 agreement",
           "top5_overlap": "top-5 overlap", "max_abs_logit_diff": "max |Δlogit|"}
_PREFIX = {"delta_ce": "", "mean_kl": "kl_", "top1_agreement": "agreement_", "top5_overlap": "top5_",
           "max_abs_logit_diff": "max_logit_"}
_BASIS = {"ci": "upper end of the paired bootstrap 95 % interval of ΔCE, over CE(reference)",
          "point": "point estimate of ΔCE over CE(reference): no bootstrap interval (bootstrap=0)",
          "mean_kl": "mean over masked tokens, nats", "top1_agreement": "share of masked tokens",
          "top5_overlap": "mean |top5_ref ∩ top5_cand| / 5 over masked tokens",
          "max_abs_logit_diff": "largest |logit_cand - logit_ref| over masked positions and the vocabulary"}


def show_criterion(name: str, x: float) -> str:
    """A value or threshold of criterion ``name`` in the unit its reason line uses: ΔCE and shares in percent,
    KL in nats, |Δlogit| as is.

    >>> show_criterion("delta_ce", 0.01), show_criterion("top1_agreement", 0.9), show_criterion("mean_kl", 1e-5)
    ('+1 %', '90 %', '1e-05 nats')
    """
    if name == "mean_kl":
        return f"{x:.4g} nats"
    if name == "max_abs_logit_diff":
        return f"{x:.4g}"
    return f"{100 * x:+.4g} %" if name == "delta_ce" else f"{100 * x:.4g} %"


@dataclass(frozen=True)
class Criterion:
    """One criterion of the verdict: its value, thresholds and status."""

    name: str  # delta_ce | mean_kl | top1_agreement | top5_overlap | max_abs_logit_diff
    value: float
    at_risk: float
    regression: float
    worse: str  # "higher" or "lower": the direction in which the value is worse
    status: str  # PASS | AT_RISK | REGRESSION
    basis: str  # what the value is

    def _show(self, x: float) -> str:
        return show_criterion(self.name, x)

    def reason(self) -> str:
        """One line: the value and how it stands against the threshold that set its status.

        >>> Criterion("mean_kl", 0.28, 0.005, 0.05, "higher", "REGRESSION", "").reason()
        'KL(ref||cand) 0.28 nats > 0.05 nats (REGRESSION threshold)'
        """
        higher = self.worse == "higher"
        if self.status == "PASS":
            op, limit, which = ("<=" if higher else ">="), self.at_risk, "AT_RISK"
        elif self.status == "AT_RISK":
            op, limit, which = (">" if higher else "<"), self.at_risk, "AT_RISK"
        else:
            op, limit, which = (">" if higher else "<"), self.regression, "REGRESSION"
        label = _LABELS[self.name]
        if self.name == "delta_ce":
            label += " (upper 95 % bound)" if self.basis == _BASIS["ci"] else " (point estimate, no bootstrap)"
        return f"{label} {self._show(self.value)} {op} {self._show(limit)} ({which} threshold)"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields and the ``reason`` line (a non-finite value becomes None)."""
        out = asdict(self)
        if out["value"] != out["value"] or abs(out["value"]) == float("inf"):
            out["value"] = None
        return {**out, "reason": self.reason()}


def judge(delta_ce: float, mean_kl: float, top1_agreement: float, top5_overlap: float, limits: Thresholds, *,
          delta_from_interval: bool, max_abs_logit_diff: float = 0.0) -> tuple[str, list[Criterion]]:
    """The verdict and every criterion (in the order above) of a comparison's figures.

    Args:
        delta_ce: relative ΔCE at the upper end of the bootstrap interval, or the point estimate.
        mean_kl, top1_agreement, top5_overlap: the paired figures over the masked tokens.
        limits: the ``Thresholds``.
        delta_from_interval: whether ``delta_ce`` is the interval's upper end (else the point estimate).
        max_abs_logit_diff: the largest |Δlogit|; a criterion only when ``limits`` bound it.
    Returns:
        (verdict, criteria): the worst status of all criteria, and each criterion.

    >>> judge(0.0, 0.0, 0.5, 1.0, Thresholds(), delta_from_interval=True)[0]  # agreement alone decides
    'REGRESSION'
    """
    limits_by_name = asdict(limits)
    out = []
    for name, value in (("delta_ce", delta_ce), ("mean_kl", mean_kl), ("top1_agreement", top1_agreement),
                        ("top5_overlap", top5_overlap), ("max_abs_logit_diff", max_abs_logit_diff)):
        at_risk, regression = limits_by_name[f"{_PREFIX[name]}at_risk"], limits_by_name[f"{_PREFIX[name]}regression"]
        if at_risk is None:  # an optional criterion the thresholds leave unjudged
            continue
        lower = name in ("top1_agreement", "top5_overlap")
        basis = _BASIS[("ci" if delta_from_interval else "point") if name == "delta_ce" else name]
        out.append(Criterion(name, float(value), at_risk, regression, "lower" if lower else "higher",
                             verdict(value, at_risk, regression, lower_is_worse=lower), basis))
    return max((c.status for c in out), key=SEVERITY.index), out
