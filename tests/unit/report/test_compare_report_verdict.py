"""``CompareReport.from_totals``: the ΔCE criterion at the upper end of the bootstrap interval (the point estimate,
said so, without one), every criterion and the deciding ones in the report and its JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np

from fillmask_np.metrics import FIDELITY, LOSSY, PairedTotals, Thresholds
from fillmask_np.numerics import PairedRows
from fillmask_np.report import CompareReport

CE_REF = 5.0


def _totals(delta, *, kl=0.0, agree=1.0, overlap=1.0, max_abs=0.0):
    """PairedTotals of len(delta) tokens, one per sample, with these per-token ΔNLL and KL / agreement / overlap."""
    delta = np.asarray(delta, dtype=np.float64)
    m = len(delta)
    rows = PairedRows(m)
    rows.nll_ref[:], rows.nll_cand[:] = 0.0, delta
    rows.kl[:], rows.top5_overlap[:], rows.cosine[:], rows.max_abs[:] = kl, overlap, 1.0, max_abs
    rows.top1_agree[:] = np.arange(m) < round(agree * m)
    t = PairedTotals()
    t.add(rows, list(range(m)), np.arange(m), np.ones(m, dtype=np.int64))
    return t


def _report(totals, *, bootstrap, thresholds=LOSSY, profile=None):
    delta = float(np.mean(totals.delta()))
    cand, ref = SimpleNamespace(cross_entropy=CE_REF + delta), SimpleNamespace(cross_entropy=CE_REF)
    return CompareReport.from_totals(totals, cand, ref, bootstrap=bootstrap, bootstrap_seed=0, thresholds=thresholds,
                                     settings={}, provenance={}, profile=profile)


def test_an_uncertain_small_increase_is_at_risk_by_its_interval_and_passes_on_its_point_estimate():
    delta = np.random.default_rng(0).normal(0.04, 1.0, size=400)  # mean ~0.8 % of CE_REF, standard error ~1 %
    report = _report(_totals(delta), bootstrap=1000)
    crit = report.criteria[0]
    assert crit["name"] == "delta_ce" and crit["value"] == report.delta_ci95[1] / CE_REF
    assert report.relative_delta < LOSSY.at_risk < crit["value"] < LOSSY.regression
    assert report.verdict == "AT_RISK" and report.reasons == [crit["reason"]]
    assert crit["reason"].startswith("ΔCE (upper 95 % bound) +")
    point = _report(_totals(delta), bootstrap=0)
    assert point.delta_ci95 is None and point.criteria[0]["value"] == point.relative_delta
    assert "bootstrap=0" in point.criteria[0]["basis"] and point.verdict == "PASS"


def test_identical_figures_pass_and_every_criterion_is_listed():
    report = _report(_totals(np.zeros(50)), bootstrap=100)
    assert report.verdict == "PASS" and len(report.reasons) == 4
    assert [c["status"] for c in report.criteria] == ["PASS"] * 4
    assert report.thresholds == {"at_risk": 0.01, "regression": 0.05, "kl_at_risk": 0.005, "kl_regression": 0.05,
                                 "agreement_at_risk": 0.9, "agreement_regression": 0.7, "top5_at_risk": 0.9,
                                 "top5_regression": 0.7, "max_logit_at_risk": None, "max_logit_regression": None}


def test_the_deciding_criterion_is_named_and_the_json_carries_it():
    report = _report(_totals(np.zeros(100), kl=0.28, agree=0.35, overlap=0.8), bootstrap=100)
    assert report.verdict == "REGRESSION"
    assert report.reasons == ["KL(ref||cand) 0.28 nats > 0.05 nats (REGRESSION threshold)",
                              "top-1 agreement 35 % < 70 % (REGRESSION threshold)"]
    assert {c["name"]: c["status"] for c in report.criteria}["top5_overlap"] == "AT_RISK"
    out = json.loads(json.dumps(report.criteria))  # to_dict() keeps the field as it is (tests/cli: the CLI's JSON)
    assert out[1] == {"name": "mean_kl", "value": 0.28, "at_risk": 0.005, "regression": 0.05,
                                  "worse": "higher", "status": "REGRESSION", "basis": "mean over masked tokens, nats",
                                  "reason": report.reasons[0]}


def test_overridden_thresholds_change_the_verdict():
    totals = _totals(np.zeros(50), kl=0.28, agree=0.35, overlap=0.35)
    loose = Thresholds(kl_at_risk=1.0, kl_regression=1.0, agreement_at_risk=0.3, agreement_regression=0.3,
                       top5_at_risk=0.3, top5_regression=0.2)
    assert _report(totals, bootstrap=0, thresholds=loose).verdict == "PASS"


def test_under_the_fidelity_profile_a_large_logit_difference_alone_is_a_regression():
    # issue 19: a zeroed decoder bias (largest |Δlogit| 9.4) with ΔCE, KL and agreements all within lossy bounds
    totals = _totals(np.zeros(50), max_abs=9.4)
    assert _report(totals, bootstrap=100).verdict == "PASS"  # lossy: the largest |Δlogit| is not judged
    profile = {"name": "fidelity", "reason": "neither model has quantized operators", "thresholds": "preset"}
    report = _report(totals, bootstrap=100, thresholds=FIDELITY, profile=profile)
    assert report.verdict == "REGRESSION" and report.reasons == ["max |Δlogit| 9.4 > 0.06 (REGRESSION threshold)"]
    assert report.profile == profile and report.thresholds["max_logit_regression"] == 0.06
