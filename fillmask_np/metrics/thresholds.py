"""The thresholds of a comparison's verdict, one pair per criterion, validated; one criterion's status.

Each criterion has an AT_RISK and a REGRESSION threshold, both inclusive on the PASS side. ``Thresholds()``
holds the *lossy* profile's values (int8 and other approximations, from the ladder in bench/LADDER.md);
``metrics.profiles`` holds the presets, *fidelity* included. The largest |Δlogit| is judged only when its
thresholds are set (the fidelity profile sets them; lossy leaves them None: an int8 model's largest logit
difference says little about its quality).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ..errors import FillMaskError
from ..limits import check_count, option_label

__all__ = ["LOWER_IS_WORSE", "OPTIONAL", "Thresholds", "relative", "validate_thresholds", "verdict"]

LOWER_IS_WORSE = ("agreement", "top5")  # shares in [0, 1]: the verdict worsens as they fall
OPTIONAL = ("max_logit",)  # criteria judged only when their thresholds are set (both or neither)


@dataclass(frozen=True)
class Thresholds:
    """AT_RISK and REGRESSION thresholds of every criterion (validated on construction).

    ``at_risk`` / ``regression``: relative ΔCE, (CE_cand - CE_ref) / CE_ref, taken at the upper end of the
    paired bootstrap 95 % interval (higher is worse; 0 <= at_risk <= regression). ``kl_*``: mean
    KL(reference || candidate) in nats per masked token (higher is worse). ``agreement_*``: share of masked
    tokens whose top-1 ids agree; ``top5_*``: mean |top5_ref ∩ top5_cand| / 5 (lower is worse;
    1 >= at_risk >= regression >= 0). ``max_logit_*``: the largest |logit_cand - logit_ref| over the masked
    positions and the vocabulary (higher is worse), or None (both): not judged.

    >>> Thresholds(kl_at_risk=0.01).kl_at_risk
    0.01
    """

    at_risk: float = 0.01
    regression: float = 0.05
    kl_at_risk: float = 0.005
    kl_regression: float = 0.05
    agreement_at_risk: float = 0.90
    agreement_regression: float = 0.70
    top5_at_risk: float = 0.90
    top5_regression: float = 0.70
    max_logit_at_risk: float | None = None
    max_logit_regression: float | None = None

    def __post_init__(self) -> None:
        values = asdict(self)
        for name, value in values.items():
            if value is None and name.startswith(OPTIONAL):
                continue
            lower = name.startswith(LOWER_IS_WORSE)
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or value < 0 or (lower and value > 1)):
                what = ("a share between 0 and 1 (e.g. 0.9 for 90 %)" if lower else
                        "a finite KL in nats per token >= 0" if name.startswith("kl_") else
                        "a finite logit difference >= 0, or None (not judged)" if name.startswith(OPTIONAL) else
                        "a finite relative cross-entropy increase >= 0 (e.g. 0.05 for 5 %)")
                raise FillMaskError(f"{option_label(name, value)} must be {what}")
            object.__setattr__(self, name, float(value))
        for prefix in ("", "kl_") + tuple(f"{p}_" for p in LOWER_IS_WORSE + OPTIONAL):
            risk, regression = values[f"{prefix}at_risk"], values[f"{prefix}regression"]
            risk_, regression_ = option_label(f"{prefix}at_risk", risk), option_label(f"{prefix}regression", regression)
            if (risk is None) != (regression is None):
                raise FillMaskError(f"{risk_} and {regression_}: set both (the criterion is judged) or neither "
                                    f"(None: not judged)")
            if risk is None:
                continue
            if prefix.startswith(LOWER_IS_WORSE) and risk < regression:
                raise FillMaskError(f"{risk_} is below {regression_}; a share below the AT_RISK threshold must be "
                                    f"reached before the REGRESSION one")
            if not prefix.startswith(LOWER_IS_WORSE) and risk > regression:
                raise FillMaskError(f"{risk_} is above {regression_}; the AT_RISK threshold must not exceed the "
                                    f"REGRESSION one")


def validate_thresholds(thresholds: object, bootstrap: int, bootstrap_seed: int) -> Thresholds | None:
    """``thresholds`` if it is a ``Thresholds`` or None (the profile's); ``FillMaskError`` for anything else, a
    bootstrap count out of its bounds or an invalid seed.

    >>> validate_thresholds(Thresholds(), 1000, 0).at_risk
    0.01
    """
    if thresholds is not None and not isinstance(thresholds, Thresholds):
        raise FillMaskError(f"thresholds={thresholds!r} is not a Thresholds; pass fm.Thresholds(kl_at_risk=..., ...) "
                            f"or a preset (fm.FIDELITY, fm.LOSSY), or leave it None for the profile's")
    check_count("bootstrap", bootstrap, hint="resamples of the interval; 0 skips it")
    check_count("bootstrap_seed", bootstrap_seed)
    return thresholds


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
