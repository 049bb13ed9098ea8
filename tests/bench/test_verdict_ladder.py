"""bench/verdict_ladder.py's checks of the ladder's order, and its markdown, from fake reports (no model runs)."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

from helpers import REPO

_spec = importlib.util.spec_from_file_location("bench_verdict_ladder", REPO / "bench" / "verdict_ladder.py")
ladder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ladder)


def _row(name, kind, verdict):
    report = SimpleNamespace(verdict=verdict, n_masked=10, reference=SimpleNamespace(cross_entropy=5.0),
                             delta_cross_entropy=0.0, relative_delta=0.0, delta_ci95=[0.0, 0.0], mean_kl=0.0,
                             top1_agreement=1.0, top5_overlap=1.0,
                             criteria=[{"name": "mean_kl", "status": verdict}])
    return {"name": name, "kind": kind, "report": report, "seconds": 0.0}


def _ladder(noise):
    return ([_row("same", "same", "PASS"), _row("fp16", "fp16", "PASS"), _row("int8", "int8", "AT_RISK")]
            + [_row(f"noise {i}", "noise", v) for i, v in enumerate(noise)]
            + [_row("electra", "checkpoint", "REGRESSION"), _row("wrong", "tokenizer", "REGRESSION")])


def test_an_ordered_ladder_passes_every_check():
    checks = ladder.checks(_ladder(["AT_RISK", "AT_RISK", "REGRESSION"]))
    assert all(ok for ok, _ in checks)
    assert (True, "perturbed models flagged from noise 0 up") in checks


def test_a_verdict_that_falls_as_the_noise_grows_fails_the_order_check():
    failed = [text for ok, text in ladder.checks(_ladder(["AT_RISK", "PASS", "REGRESSION"])) if not ok]
    assert len(failed) == 1 and failed[0].startswith("verdict non-decreasing")


def test_int8_must_not_be_a_regression_and_fp16_must_pass():
    rows = _ladder(["REGRESSION"])
    rows[1]["report"].verdict, rows[2]["report"].verdict = "AT_RISK", "REGRESSION"
    failed = [text for ok, text in ladder.checks(rows) if not ok]
    assert "same model and float16 PASS" in failed and any(t.startswith("int8 dynamic") for t in failed)


def test_the_markdown_has_a_row_per_rung_and_the_checks():
    rows = _ladder(["AT_RISK", "REGRESSION"])
    text = ladder.markdown([{"title": "toy", "data": "none", "rows": rows, "checks": ladder.checks(rows)}],
                           ["a note"], "python bench/verdict_ladder.py")
    assert text.count("| **") == len(rows) and "* OK: same model and float16 PASS" in text and "* a note" in text
