"""The verdict of a comparison and its thresholds: PASS / AT_RISK / REGRESSION from the relative ΔCE."""

from __future__ import annotations

import math

import numpy as np

from ..errors import FillMaskError

__all__ = ["validate_thresholds", "relative", "verdict"]


def validate_thresholds(at_risk: float, regression: float, bootstrap: int, bootstrap_seed: int) -> None:
    """Raise ``FillMaskError`` unless 0 <= at_risk <= regression (finite), bootstrap >= 0 and a valid seed."""
    for name, value in (("at_risk", at_risk), ("regression", regression)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise FillMaskError(f"{name}={value!r} must be a finite relative cross-entropy increase >= 0 "
                                f"(e.g. 0.05 for 5 %)")
    if at_risk > regression:
        raise FillMaskError(f"at_risk={at_risk!r} is above regression={regression!r}; the AT_RISK threshold must "
                            f"not exceed the REGRESSION one")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise FillMaskError(f"bootstrap={bootstrap!r} must be a number of resamples >= 0 (0 skips the interval)")
    if isinstance(bootstrap_seed, bool) or not isinstance(bootstrap_seed, (int, np.integer)) or bootstrap_seed < 0:
        raise FillMaskError(f"bootstrap_seed={bootstrap_seed!r} must be a non-negative integer")


def relative(delta_ce: float, ce_ref: float) -> float:
    """ΔCE / CE_ref; with CE_ref = 0, 0 for ΔCE <= 0 and inf above."""
    if ce_ref == 0:
        return 0.0 if delta_ce <= 0 else math.inf
    return delta_ce / ce_ref


def verdict(rel: float, at_risk: float, regression: float) -> str:
    """PASS when ``rel <= at_risk``, AT_RISK when ``rel <= regression``, else REGRESSION (thresholds inclusive).

    >>> verdict(0.05, 0.05, 0.10), verdict(0.07, 0.05, 0.10), verdict(0.11, 0.05, 0.10)
    ('PASS', 'AT_RISK', 'REGRESSION')
    """
    if rel <= at_risk:
        return "PASS"
    return "AT_RISK" if rel <= regression else "REGRESSION"
