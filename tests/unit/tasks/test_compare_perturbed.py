"""compare() on a golden BERT whose feed-forward weights carry seeded noise (written to tmp_path with the onnx
package): the verdict weighs every criterion, ``thresholds=`` overrides each threshold, bad ones are refused."""

from __future__ import annotations

import pytest

import fillmask_np as fm

from helpers import EVAL_TXT, GOLDEN
from helpers.ladder import perturbed_bert

BERT = GOLDEN / "models" / "bert"
TEXTS = str(EVAL_TXT)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """The golden BERT with feed-forward noise of 100 % of each weight's std (seed 0), loaded."""
    return fm.OnnxMaskedLM(perturbed_bert(tmp_path_factory.mktemp("noise") / "bert", 1.0, seed=0))


def test_the_perturbation_is_seeded_and_touches_the_feed_forward_weights_only(tmp_path):
    import onnx
    from onnx import numpy_helper

    from helpers.ladder import ladder_models

    names = ladder_models().perturb_feed_forward(BERT, tmp_path / "a", 0.1, seed=3)["weights"]
    ladder_models().perturb_feed_forward(BERT, tmp_path / "b", 0.1, seed=3)
    arrays = {}
    for tag, path in (("src", BERT / "model.onnx"), ("a", tmp_path / "a" / "model.onnx"),
                      ("b", tmp_path / "b" / "model.onnx")):
        arrays[tag] = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    changed = [n for n in arrays["src"] if not (arrays["src"][n] == arrays["a"][n]).all()]
    assert sorted(changed) == sorted(names) and len(names) == 4  # up and down projection of 2 layers
    shapes = {arrays["src"][n].shape for n in names}
    assert shapes == {(64, 256), (256, 64)}
    assert all((arrays["a"][n] == arrays["b"][n]).all() for n in names)  # same seed, same weights


def test_a_perturbed_model_is_a_regression_decided_by_its_divergence(bert_tok, noisy):
    report = fm.compare(noisy, fm.OnnxMaskedLM(BERT), bert_tok, TEXTS, bootstrap=200, profile="lossy")
    status = {c["name"]: c["status"] for c in report.criteria}
    assert report.verdict == "REGRESSION" and status["mean_kl"] == "REGRESSION"
    assert status["delta_ce"] in ("PASS", "AT_RISK")  # ΔCE alone (+3 %) no longer decides
    assert any(r.startswith("KL(ref||cand)") for r in report.reasons)


def test_a_thresholds_object_overrides_each_threshold(bert_tok, noisy):
    loose = dict(at_risk=1.0, regression=1.0, kl_at_risk=10.0, kl_regression=10.0, agreement_at_risk=0.0,
                 agreement_regression=0.0, top5_at_risk=0.0, top5_regression=0.0, max_logit_at_risk=100.0,
                 max_logit_regression=100.0)
    reference = fm.OnnxMaskedLM(BERT)
    report = fm.compare(noisy, reference, bert_tok, TEXTS, bootstrap=0, thresholds=fm.Thresholds(**loose))
    assert report.verdict == "PASS" and report.thresholds == loose
    assert report.profile == {"name": "fidelity", "reason": report.profile["reason"], "thresholds": "given"}
    for option, value, criterion in (("at_risk", 0.0, "delta_ce"), ("kl_at_risk", 0.0, "mean_kl"),
                                     ("agreement_at_risk", 0.999, "top1_agreement"),
                                     ("top5_at_risk", 0.999, "top5_overlap"),
                                     ("max_logit_at_risk", 0.0, "max_abs_logit_diff")):  # this one alone AT_RISK
        limits = fm.Thresholds(**{**loose, option: value})
        report = fm.compare(noisy, reference, bert_tok, TEXTS, bootstrap=0, thresholds=limits)
        assert report.verdict == "AT_RISK", option
        assert [c["name"] for c in report.criteria if c["status"] == "AT_RISK"] == [criterion]


@pytest.mark.parametrize("options, match", [
    (dict(kl_at_risk=-0.5), r"^kl_at_risk=-0.5 must be a finite KL"),
    (dict(agreement_regression=1.2), r"^agreement_regression=1.2 must be a share between 0 and 1"),
    (dict(top5_at_risk=0.5, top5_regression=0.6), r"^top5_at_risk=0.5 is below top5_regression=0.6;"),
])
def test_bad_thresholds_are_refused_with_one_line(options, match):
    with pytest.raises(fm.FillMaskError, match=match) as info:
        fm.Thresholds(**options)
    assert "\n" not in str(info.value)
