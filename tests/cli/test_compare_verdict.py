"""`fillmask-np compare`'s verdict from every criterion: a golden BERT with perturbed feed-forward weights (written to
tmp_path with the onnx package, seeded, as bench/verdict_ladder.py does) is flagged, a copy of the model passes, the
criteria table and --json say which profile judged and which criterion decided, every threshold can be
overridden, bad ones exit 2."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict

import pytest

from fillmask_np.cli import main
from fillmask_np.metrics import FIDELITY, LOSSY

from helpers import EVAL_TXT, GOLDEN
from helpers.ladder import perturbed_bert

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"
LOOSE = ["--kl-at-risk", "10", "--kl-regression", "10", "--agreement-at-risk", "0", "--agreement-regression", "0",
         "--top5-at-risk", "0", "--top5-regression", "0", "--at-risk", "1", "--regression", "1",
         "--max-logit-at-risk", "100", "--max-logit-regression", "100"]


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """{level: directory} of the golden BERT with 30 % and 100 % feed-forward noise (seed 0)."""
    root = tmp_path_factory.mktemp("perturbed")
    return {level: perturbed_bert(root / f"noise{level}", level, seed=0) for level in (0.3, 1.0)}


def _compare(capsys, model, *extra):
    code = main(["compare", "--model", str(model), "--reference", str(BERT), "--data", str(EVAL_TXT), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_strongly_perturbed_weights_are_a_regression_with_exit_1(capsys, noisy):
    code, out, _ = _compare(capsys, noisy[1.0], "--profile", "lossy")
    assert code == 1
    verdict = next(line for line in out.splitlines() if line.startswith("verdict"))
    assert verdict.startswith("verdict          REGRESSION: ") and "KL(ref||cand)" in verdict
    assert re.search(r"^  top-1 agreement +\d+\.\d+ % +< 90\.00 % +< 70\.00 %  REGRESSION$", out, re.M)


def test_mildly_perturbed_weights_are_at_risk_under_the_lossy_profile_with_exit_0(capsys, noisy):
    code, out, _ = _compare(capsys, noisy[0.3], "--json", "--profile", "lossy")
    report = json.loads(out)
    assert code == 0 and report["verdict"] == "AT_RISK"
    assert report["profile"] == {"name": "lossy", "reason": "chosen: profile='lossy' (--profile lossy)",
                                 "thresholds": "preset"}
    status = {c["name"]: c["status"] for c in report["criteria"]}
    assert status["mean_kl"] == "AT_RISK" and status["delta_ce"] == "PASS"  # ΔCE alone would have passed
    assert report["reasons"] and all("AT_RISK threshold" in r for r in report["reasons"])
    assert report["thresholds"] == asdict(LOSSY)


def test_the_same_perturbation_is_a_regression_under_the_fidelity_profile_picked_for_a_float_model(capsys, noisy):
    code, out, _ = _compare(capsys, noisy[0.3], "--json")
    report = json.loads(out)
    assert code == 1 and report["verdict"] == "REGRESSION" and report["thresholds"] == asdict(FIDELITY)
    assert report["profile"] == {"name": "fidelity", "reason": "neither model has quantized operators: a float "
                                 "conversion, judged against float noise", "thresholds": "preset"}
    assert {c["name"]: c["status"] for c in report["criteria"]}["max_abs_logit_diff"] == "REGRESSION"


def test_a_copy_of_the_model_passes_every_criterion(capsys, tmp_path):
    shutil.copytree(BERT, tmp_path / "copy")
    code, out, _ = _compare(capsys, tmp_path / "copy", "--limit", "60")
    assert code == 0 and "verdict          PASS (every criterion within its AT_RISK threshold)" in out
    assert out.count("  PASS\n") == 5 and re.search(r"^  max \|Δlogit\| +0 +> 0.04 +> 0.06  PASS$", out, re.M)


def test_overrides_of_each_threshold_change_the_verdict(capsys, noisy):
    assert _compare(capsys, noisy[1.0], *LOOSE)[0] == 0  # every criterion loosened: PASS
    for tight in (["--kl-regression", "0.001", "--kl-at-risk", "0.001"], ["--agreement-at-risk", "1",
                  "--agreement-regression", "0.999"], ["--top5-at-risk", "1", "--top5-regression", "0.999"],
                  ["--at-risk", "0", "--regression", "0.0001"], ["--max-logit-at-risk", "0.01",
                                                                 "--max-logit-regression", "0.01"]):
        code, out, _ = _compare(capsys, noisy[0.3], *LOOSE, *tight)
        assert code == 1 and "verdict          REGRESSION" in out, tight


def test_without_bootstrap_the_point_estimate_decides_and_the_table_says_so(capsys, noisy):
    code, out, _ = _compare(capsys, noisy[1.0], "--bootstrap", "0", "--json")
    delta = json.loads(out)["criteria"][0]
    assert delta["name"] == "delta_ce" and "point estimate" in delta["basis"] and "bootstrap=0" in delta["basis"]
    assert delta["value"] == pytest.approx(json.loads(out)["relative_delta"])
    _, table, _ = _compare(capsys, noisy[1.0], "--bootstrap", "0")
    assert "  ΔCE (no CI)" in table


@pytest.mark.parametrize("args, message", [
    (["--kl-at-risk", "-1"], "--kl-at-risk -1.0 must be a finite KL"),
    (["--kl-regression", "nan"], "--kl-regression nan must be"),
    (["--agreement-at-risk", "1.5"], "--agreement-at-risk 1.5 must be a share between 0 and 1"),
    (["--agreement-at-risk", "0.5", "--agreement-regression", "0.8"], "--agreement-at-risk 0.5 is below"),
    (["--top5-regression", "2"], "--top5-regression 2.0 must be a share"),
    (["--at-risk", "0.2", "--regression", "0.1"], "--at-risk 0.2 is above --regression 0.1"),
])
def test_bad_thresholds_exit_2_with_one_line(capsys, args, message):
    code, out, err = _compare(capsys, BERT, *args)
    assert code == 2 and out == ""
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1 and message in err


def test_help_states_the_default_thresholds(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, value in asdict(FIDELITY).items():
        option, lossy = "--" + name.replace("_", "-"), getattr(LOSSY, name)
        said = "lossy not judged" if lossy is None else f"lossy {lossy:g}"
        assert re.search(rf"{option} X (?:(?! --[a-z0-9-]+ X ).)*\(default: fidelity {value:g}, {said}\)", text), option
    assert "--profile {auto,fidelity,lossy}" in text
