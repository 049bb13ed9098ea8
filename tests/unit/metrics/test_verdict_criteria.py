"""The verdict from every criterion (relative ΔCE, KL, top-1 agreement, top-5 overlap, and the largest |Δlogit| when
its thresholds are set): hand-derived cases, each criterion alone flipping it, inclusive thresholds in both
directions, and thresholds refused with one line."""

from __future__ import annotations

import inspect
from dataclasses import asdict

import pytest

import fillmask_np as fm
from fillmask_np.metrics import LOSSY, Thresholds, judge, validate_thresholds
from fillmask_np.metrics.criteria import Criterion
from fillmask_np.metrics.thresholds import verdict

LIMITS = Thresholds(at_risk=0.01, regression=0.05, kl_at_risk=0.005, kl_regression=0.05, agreement_at_risk=0.9,
                    agreement_regression=0.7, top5_at_risk=0.9, top5_regression=0.7)
CLEAN = dict(delta_ce=0.0, mean_kl=0.0, top1_agreement=1.0, top5_overlap=1.0)  # an identical model


def _judge(**changed):
    return judge(**{**CLEAN, **changed}, limits=LIMITS, delta_from_interval=True)


def test_an_identical_model_passes_on_every_criterion():
    status, criteria = _judge()
    assert status == "PASS"
    assert [c.name for c in criteria] == ["delta_ce", "mean_kl", "top1_agreement", "top5_overlap"]
    assert all(c.status == "PASS" for c in criteria)


@pytest.mark.parametrize("name, at_risk_value, regression_value", [
    ("delta_ce", 0.02, 0.06), ("mean_kl", 0.01, 0.28), ("top1_agreement", 0.8, 0.35), ("top5_overlap", 0.85, 0.5)])
def test_each_criterion_alone_flips_the_verdict(name, at_risk_value, regression_value):
    status, criteria = _judge(**{name: at_risk_value})
    assert status == "AT_RISK" and [c.name for c in criteria if c.status != "PASS"] == [name]
    status, criteria = _judge(**{name: regression_value})
    assert status == "REGRESSION" and [c.name for c in criteria if c.status != "PASS"] == [name]


def test_the_issues_case_is_a_regression_though_its_delta_ce_is_small():
    # issue 11: ΔCE +1.56 % (upper end ~1.9 %), KL 0.28, top-1 agreement 35 % was a PASS on ΔCE alone
    status, criteria = _judge(delta_ce=0.019, mean_kl=0.28, top1_agreement=0.35, top5_overlap=0.4)
    assert status == "REGRESSION"
    assert {c.name: c.status for c in criteria} == {"delta_ce": "AT_RISK", "mean_kl": "REGRESSION",
                                                    "top1_agreement": "REGRESSION", "top5_overlap": "REGRESSION"}


def test_the_worst_criterion_wins():
    assert _judge(mean_kl=0.01, top1_agreement=0.5)[0] == "REGRESSION"
    assert _judge(mean_kl=0.01, top5_overlap=0.8)[0] == "AT_RISK"


@pytest.mark.parametrize("name, values", [
    ("delta_ce", [(-0.5, "PASS"), (0.01, "PASS"), (0.0100001, "AT_RISK"), (0.05, "AT_RISK"),
                  (0.0500001, "REGRESSION")]),
    ("mean_kl", [(0.005, "PASS"), (0.0050001, "AT_RISK"), (0.05, "AT_RISK"), (0.0500001, "REGRESSION")]),
    ("top1_agreement", [(0.9, "PASS"), (0.8999999, "AT_RISK"), (0.7, "AT_RISK"), (0.6999999, "REGRESSION")]),
    ("top5_overlap", [(0.9, "PASS"), (0.8999999, "AT_RISK"), (0.7, "AT_RISK"), (0.6999999, "REGRESSION")]),
])
def test_thresholds_are_inclusive_in_both_directions(name, values):
    for value, expected in values:
        assert _judge(**{name: value})[0] == expected, (name, value)


def test_a_single_criterion_lower_is_worse():
    assert verdict(0.95, 0.9, 0.7, lower_is_worse=True) == "PASS"
    assert verdict(0.9, 0.9, 0.7, lower_is_worse=True) == "PASS"
    assert verdict(0.7, 0.9, 0.7, lower_is_worse=True) == "AT_RISK"
    assert verdict(0.69, 0.9, 0.7, lower_is_worse=True) == "REGRESSION"


def test_reasons_name_the_value_and_the_threshold_that_decided():
    status, criteria = _judge(top1_agreement=0.35)
    by_name = {c.name: c for c in criteria}
    assert by_name["top1_agreement"].reason() == "top-1 agreement 35 % < 70 % (REGRESSION threshold)"
    assert by_name["mean_kl"].reason() == "KL(ref||cand) 0 nats <= 0.005 nats (AT_RISK threshold)"
    assert by_name["delta_ce"].reason() == "ΔCE (upper 95 % bound) +0 % <= +1 % (AT_RISK threshold)"
    point = judge(**{**CLEAN, "delta_ce": 0.02}, limits=LIMITS, delta_from_interval=False)[1][0]
    assert point.reason() == "ΔCE (point estimate, no bootstrap) +2 % > +1 % (AT_RISK threshold)"
    assert "bootstrap=0" in point.basis and point.to_dict()["status"] == "AT_RISK"


def test_a_non_finite_value_is_none_in_json():
    c = Criterion("delta_ce", float("inf"), 0.01, 0.05, "higher", "REGRESSION", "")
    assert c.to_dict()["value"] is None and c.to_dict()["reason"].startswith("ΔCE")


def test_the_lossy_profile_is_thresholds_defaults_and_the_ladders():
    assert asdict(LOSSY) == asdict(Thresholds()) == {**asdict(LIMITS), "max_logit_at_risk": None,
                                                     "max_logit_regression": None}  # bench/LADDER.md


def test_compare_takes_one_thresholds_object_and_a_profile_in_place_of_eight_keywords():
    signature = inspect.signature(fm.compare).parameters
    assert signature["thresholds"].default is None and signature["profile"].default == "auto"
    assert not set(asdict(LOSSY)) & set(signature)


def test_thresholds_are_floats_and_validated_with_the_bootstrap():
    limits = Thresholds(at_risk=0, regression=1, kl_at_risk=0, agreement_at_risk=1, max_logit_at_risk=0,
                        max_logit_regression=1)
    assert validate_thresholds(limits, 10, 0) is limits and validate_thresholds(None, 10, 0) is None
    assert limits.at_risk == 0.0 and isinstance(limits.at_risk, float) and limits.agreement_at_risk == 1.0
    assert isinstance(limits.max_logit_at_risk, float) and limits.top5_at_risk == LOSSY.top5_at_risk


def test_the_largest_logit_difference_is_judged_only_when_its_thresholds_are_set():
    bounded = Thresholds(max_logit_at_risk=0.03, max_logit_regression=0.06)
    for value, expected in ((0.03, "PASS"), (0.0300001, "AT_RISK"), (0.06, "AT_RISK"), (0.0600001, "REGRESSION")):
        status, criteria = judge(**CLEAN, limits=bounded, delta_from_interval=True, max_abs_logit_diff=value)
        assert status == expected and criteria[-1].name == "max_abs_logit_diff", value
    status, criteria = judge(**CLEAN, limits=LIMITS, delta_from_interval=True, max_abs_logit_diff=9.4)
    assert status == "PASS" and "max_abs_logit_diff" not in [c.name for c in criteria]
    worst = judge(**CLEAN, limits=bounded, delta_from_interval=True, max_abs_logit_diff=9.4)[1][-1]
    assert worst.reason() == "max |Δlogit| 9.4 > 0.06 (REGRESSION threshold)"


@pytest.mark.parametrize("value", [{"at_risk": 0.01}, 0.01, "fidelity"])
def test_thresholds_that_are_no_thresholds_object_are_refused(value):
    with pytest.raises(fm.FillMaskError, match=r"^thresholds=.* is not a Thresholds; pass fm.Thresholds"):
        validate_thresholds(value, 100, 0)


@pytest.mark.parametrize("options, match", [
    (dict(at_risk=0.2, regression=0.1), r"^at_risk=0.2 is above regression=0.1;"),
    (dict(at_risk=-0.01), r"^at_risk=-0.01 must be a finite relative cross-entropy increase"),
    (dict(regression=float("nan")), r"^regression=nan must be"),
    (dict(kl_at_risk=-1.0), r"^kl_at_risk=-1.0 must be a finite KL"),
    (dict(kl_regression=float("inf")), r"^kl_regression=inf must be a finite KL"),
    (dict(kl_at_risk=0.1, kl_regression=0.01), r"^kl_at_risk=0.1 is above kl_regression=0.01;"),
    (dict(agreement_at_risk=1.5), r"^agreement_at_risk=1.5 must be a share between 0 and 1"),
    (dict(agreement_at_risk=0.5, agreement_regression=0.8), r"^agreement_at_risk=0.5 is below agreement_regression"),
    (dict(top5_regression=-0.1), r"^top5_regression=-0.1 must be a share"),
    (dict(top5_at_risk="0.9"), r"^top5_at_risk='0.9' must be a share"),
    (dict(kl_at_risk=True), r"^kl_at_risk=True must be"),
    (dict(max_logit_at_risk=0.1), r"^max_logit_at_risk=0.1 and max_logit_regression=None: set both"),
    (dict(max_logit_at_risk=-1.0, max_logit_regression=1.0), r"^max_logit_at_risk=-1.0 must be a finite logit"),
    (dict(max_logit_at_risk=0.2, max_logit_regression=0.1), r"^max_logit_at_risk=0.2 is above max_logit_regression"),
])
def test_bad_thresholds_are_refused_with_one_line(options, match):
    with pytest.raises(fm.FillMaskError, match=match) as info:
        Thresholds(**options)
    assert "\n" not in str(info.value)
