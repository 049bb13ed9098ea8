"""The comparison's verdict from the relative change of cross-entropy: PASS, AT_RISK or REGRESSION."""

from __future__ import annotations

import pytest

from fillmask_np.metrics.thresholds import verdict


@pytest.mark.parametrize("rel, expected", [(-0.5, "PASS"), (0.0, "PASS"), (0.05, "PASS"), (0.0500001, "AT_RISK"),
                                           (0.10, "AT_RISK"), (0.1000001, "REGRESSION")])
def test_verdict_thresholds_are_inclusive(rel, expected):
    assert verdict(rel, 0.05, 0.10) == expected
