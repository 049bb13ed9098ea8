"""bench/verdict_ladder.py's checks of the ladder's claims, and its markdown, from fake reports (no model runs)."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

from helpers import REPO
from helpers.ladder import broken_models

broken_models()  # registers bench/_ladder_models.py and bench/_broken_models.py, which the ladder imports by name
_spec = importlib.util.spec_from_file_location("bench_verdict_ladder", REPO / "bench" / "verdict_ladder.py")
ladder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ladder)


def _row(name, kind, verdict, profile="fidelity"):
    report = SimpleNamespace(verdict=verdict, n_masked=10, reference=SimpleNamespace(cross_entropy=5.0),
                             delta_cross_entropy=0.0, relative_delta=0.0, delta_ci95=[0.0, 0.0], mean_kl=0.0,
                             top1_agreement=1.0, top5_overlap=1.0, max_abs_logit_diff=0.0,
                             profile={"name": profile}, criteria=[{"name": "mean_kl", "status": verdict}])
    other = "lossy" if profile == "fidelity" else "fidelity"
    return {"name": name, "kind": kind, "report": report, "other": (other, "PASS"), "seconds": 0.0}


def _ladder(noise):
    return ([_row("checkpoint vs export", "conversion", "PASS"), _row("copy", "conversion", "PASS"),
             _row("fp16", "conversion", "PASS"), _row("bias zeroed", "broken", "REGRESSION"),
             _row("int8 static", "int8", "AT_RISK", "lossy"), _row("int8 dynamic", "int8", "PASS", "lossy")]
            + [_row(f"noise {i}", "noise", v) for i, v in enumerate(noise)]
            + [_row("electra", "checkpoint", "REGRESSION"), _row("wrong", "tokenizer", "REGRESSION")])


def _failed(rows):
    return [text for ok, text in ladder.checks(rows) if not ok]


def test_an_ordered_ladder_passes_every_check():
    assert _failed(_ladder(["AT_RISK", "AT_RISK", "REGRESSION"])) == []


def test_a_verdict_that_falls_as_the_noise_grows_fails_the_order_check():
    assert _failed(_ladder(["AT_RISK", "PASS", "REGRESSION"])) == ["verdict non-decreasing along the noise levels"]


def test_a_broken_export_that_passes_fails_its_check():
    rows = _ladder(["REGRESSION"])
    rows[3]["report"].verdict = "AT_RISK"
    assert [t.split(":")[0] for t in _failed(rows)] == ["broken exports are REGRESSION under fidelity"]


def test_int8_must_be_judged_lossy_and_not_a_regression_and_conversions_must_pass():
    rows = _ladder(["REGRESSION"])
    rows[2]["report"].verdict, rows[4]["report"].verdict = "AT_RISK", "REGRESSION"
    rows[5]["report"].profile = {"name": "fidelity"}
    assert [t.split(":")[0] for t in _failed(rows)] == ["float conversions PASS under fidelity",
                                                       "int8 judged by the lossy profile, PASS or AT_RISK"]


def test_the_markdown_has_a_row_per_rung_the_profiles_and_the_checks():
    rows = _ladder(["AT_RISK", "REGRESSION"])
    text = ladder.markdown([{"title": "toy", "data": "none", "rows": rows, "checks": ladder.checks(rows)}],
                           ["a note"], "python bench/verdict_ladder.py")
    assert text.count("| **") == len(rows) and "* a note" in text
    assert "* OK: float conversions PASS under fidelity" in text and "| int8 static | lossy |" in text
    assert "* largest |Δlogit|: AT_RISK above 0.04, REGRESSION above 0.06" in text
    assert "* largest |Δlogit|: not judged" in text
