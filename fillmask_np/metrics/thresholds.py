"""The thresholds of a comparison's verdict, one pair per criterion, validated; one criterion's status.

Each criterion has an AT_RISK and a REGRESSION threshold, both inclusive on the PASS side. The defaults
come from the ladder in bench/LADDER.md (bench/verdict_ladder.py): the same model, its float16 and int8
exports pass with a wide margin; feed-forward weights perturbed by 10 % of their spread or more, other
checkpoints and a wrong tokenizer do not.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import FillMaskError

__all__ = ["DEFAULT_THRESHOLDS", "LOWER_IS_WORSE", "Thresholds", "relative", "validate_thresholds", "verdict"]

LOWER_IS_WORSE = ("agreement", "top5")  # shares in [0, 1]: the verdict worsens as they fall


@dataclass(frozen=True)
class Thresholds:
    """AT_RISK and REGRESSION thresholds of every criterion (validated on construction).

    ``at_risk`` / ``regression``: relative ΔCE, (CE_cand - CE_ref) / CE_ref, taken at the upper end of the
    paired bootstrap 95 % interval (higher is worse; 0 <= at_risk <= regression). ``kl_*``: mean
    KL(reference || candidate) in nats per masked token (higher is worse). ``agreement_*``: share of masked
    tokens whose top-1 ids agree; ``top5_*``: mean |top5_ref ∩ top5_cand| / 5 (lower is worse;
    1 >= at_risk >= regression >= 0).
    """

    at_risk: float = 0.01
    regression: float = 0.05
    kl_at_risk: float = 0.005
    kl_regression: float = 0.05
    agreement_at_risk: float = 0.90
    agreement_regression: float = 0.70
    top5_at_risk: float = 0.90
    top5_regression: float = 0.70

    def __post_init__(self) -> None:
        values = asdict(self)
        for name, value in values.items():
            lower = name.startswith(LOWER_IS_WORSE)
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or value < 0 or (lower and value > 1)):
                what = ("a share between 0 and 1 (e.g. 0.9 for 90 %)" if lower else
                        "a finite KL in nats per token >= 0" if name.startswith("kl_") else
                        "a finite relative cross-entropy increase >= 0 (e.g. 0.05 for 5 %)")
                raise FillMaskError(f"{name}={value!r} must be {what}")
            object.__setattr__(self, name, float(value))
        for prefix in ("", "kl_") + tuple(f"{p}_" for p in LOWER_IS_WORSE):
            risk, regression = values[f"{prefix}at_risk"], values[f"{prefix}regression"]
            if prefix.startswith(LOWER_IS_WORSE) and risk < regression:
                raise FillMaskError(f"{prefix}at_risk={risk!r} is below {prefix}regression={regression!r}; a share "
                                    f"below the AT_RISK threshold must be reached before the REGRESSION one")
            if not prefix.startswith(LOWER_IS_WORSE) and risk > regression:
                raise FillMaskError(f"{prefix}at_risk={risk!r} is above {prefix}regression={regression!r}; the "
                                    f"AT_RISK threshold must not exceed the REGRESSION one")


DEFAULT_THRESHOLDS = Thresholds()


def validate_thresholds(at_risk: float, regression: float, bootstrap: int, bootstrap_seed: int,
                        **others: float) -> Thresholds:
    """The ``Thresholds`` of the given values (the others at their defaults); ``FillMaskError`` naming a bad one,
    a bootstrap count < 0 or an invalid seed.

    >>> validate_thresholds(0.02, 0.1, 1000, 0, kl_at_risk=0.01).kl_at_risk
    0.01
    """
    names = list(asdict(DEFAULT_THRESHOLDS))
    unknown = sorted(set(others) - set(names))
    if unknown:
        raise FillMaskError(f"unknown threshold {unknown[0]!r}; the thresholds are {', '.join(names)}")
    limits = Thresholds(at_risk=at_risk, regression=regression, **others)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise FillMaskError(f"bootstrap={bootstrap!r} must be a number of resamples >= 0 (0 skips the interval)")
    if isinstance(bootstrap_seed, bool) or not isinstance(bootstrap_seed, (int, np.integer)) or bootstrap_seed < 0:
        raise FillMaskError(f"bootstrap_seed={bootstrap_seed!r} must be a non-negative integer")
    return limits


def relative(delta_ce: float, ce_ref: float) -> float:
    """ΔCE / CE_ref; with CE_ref = 0, 0 for ΔCE <= 0 and inf above."""
    if ce_ref == 0:
        return 0.0 if delta_ce <= 0 else math.inf
    return delta_ce / ce_ref


def verdict(value: float, at_risk: float, regression: float, *, lower_is_worse: bool = False) -> str:
    """One criterion's status: PASS when ``value <= at_risk``, AT_RISK when ``value <= regression``, else
    REGRESSION (thresholds inclusive); with ``lower_is_worse`` the same with ``>=``.

    >>> verdict(0.05, 0.05, 0.10), verdict(0.07, 0.05, 0.10), verdict(0.11, 0.05, 0.10)
    ('PASS', 'AT_RISK', 'REGRESSION')
    >>> verdict(0.9, 0.9, 0.7, lower_is_worse=True), verdict(0.7, 0.9, 0.7, lower_is_worse=True)
    ('PASS', 'AT_RISK')
    """
    if lower_is_worse:
        value, at_risk, regression = -value, -at_risk, -regression
    if value <= at_risk:
        return "PASS"
    return "AT_RISK" if value <= regression else "REGRESSION"
