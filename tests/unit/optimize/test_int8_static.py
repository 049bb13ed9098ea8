"""Static int8 (optimize --int8): a sample's cross-entropy does not depend on the batch it runs in; dynamic int8's does.

Measured on the golden models and eval.txt (seed 0, per_sample masking), ONNX Runtime 1.32:
per-sample cross-entropy bit-identical at batch 1, 4 and 16 for float32 and static int8; dynamic int8 differs by
up to 0.083 nats (BERT). Mean cross-entropy of static int8 against float32: BERT -0.0053 %, RoBERTa +0.0071 %,
DistilBERT -0.0059 % (dynamic: +0.022 %, -0.016 %, -0.0066 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import fillmask_np as fm
from fillmask_np.cli import main
from fillmask_np.errors import FillMaskError
from fillmask_np.optimize import optimize_model

from helpers import GOLDEN

EVAL_TXT = GOLDEN / "text" / "eval.txt"
BERT = GOLDEN / "models" / "bert"
BATCH_SIZES = (1, 4, 16)
CE_REL_TOLERANCE = 5e-4  # static int8 against float32; measured at most 7.1e-5 on the three golden models


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    """The golden BERT optimized three ways: kind -> (report, directory)."""
    out = {}
    for kind, int8 in (("fp32", False), ("static", True), ("dynamic", "dynamic")):
        directory = tmp_path_factory.mktemp(f"bert_{kind}")
        out[kind] = (optimize_model(BERT, directory, int8=int8), directory)
    return out


def per_sample_ce(directory, batch_size: int, name: str = "bert") -> np.ndarray:
    """evaluate's per-sample cross-entropy on eval.txt at ``batch_size`` (seed 0, per_sample masking)."""
    report = fm.evaluate(fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(GOLDEN / "models" / name), EVAL_TXT,
                         seed=0, masking="per_sample", batch_size=batch_size)
    return np.asarray(report.per_sample["cross_entropy"], dtype=np.float64)


def weights(directory) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(directory / "model.onnx")).graph.initializer}


def varies_with_batch_size(directory) -> bool:
    """True when some sample's cross-entropy differs (in any bit) between batch sizes 1, 4 and 16."""
    first = per_sample_ce(directory, BATCH_SIZES[0])
    return any(not np.array_equal(per_sample_ce(directory, b), first, equal_nan=True) for b in BATCH_SIZES[1:])


@pytest.mark.slow
def test_static_int8_per_sample_cross_entropy_is_bit_identical_at_every_batch_size(bert):
    assert not varies_with_batch_size(bert["static"][1])


@pytest.mark.slow
def test_dynamic_int8_per_sample_cross_entropy_moves_with_batch_size(bert):
    """The invariance test above can fail: dynamic int8 scales activations by the whole batch."""
    assert varies_with_batch_size(bert["dynamic"][1])


@pytest.mark.slow
def test_float32_rewrite_is_batch_invariant_too(bert):
    assert not varies_with_batch_size(bert["fp32"][1])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert", "roberta", "distilbert"])
def test_static_int8_cross_entropy_stays_close_to_float32(tmp_path, name):
    model = GOLDEN / "models" / name
    optimize_model(model, tmp_path / "int8", int8="static")
    tok = fm.Tokenizer.from_dir(model)
    full = fm.evaluate(fm.OnnxMaskedLM(model), tok, EVAL_TXT, seed=0)
    int8 = fm.evaluate(fm.OnnxMaskedLM(tmp_path / "int8"), tok, EVAL_TXT, seed=0)
    assert int8.cross_entropy == pytest.approx(full.cross_entropy, rel=CE_REL_TOLERANCE)
    assert int8.n_masked == full.n_masked


def test_int8_true_is_static_and_the_report_says_it_is_batch_invariant(bert):
    report, _ = bert["static"]
    assert report.int8 and report.quantization == "static"
    assert report.batch_invariant and report.batch_max_abs_diff == 0.0
    calibration = report.calibration
    from fillmask_np.text import default_text_path

    # the bundled text: the installed package's copy, or the checkout's golden_data/text/eval.txt
    assert calibration["source"] == str(default_text_path()) and calibration["method"] == "percentile 99.99 %"
    assert Path(calibration["source"]).read_bytes() == EVAL_TXT.read_bytes()
    assert 0 < calibration["samples"] <= 128 and calibration["masked_tokens"] > calibration["samples"]
    text = "\n".join(report.summary())
    assert "static" in text and "batch           invariant" in text
    assert json.loads(json.dumps(report.to_dict()))["batch_invariant"] is True


def test_the_report_says_dynamic_int8_is_not_batch_invariant(bert):
    report, _ = bert["dynamic"]
    assert report.int8 and report.quantization == "dynamic" and report.calibration is None
    assert report.batch_invariant is False and report.batch_max_abs_diff > 0
    assert "NOT invariant" in "\n".join(report.summary())


def test_float32_report_has_no_quantization(bert):
    report, _ = bert["fp32"]
    assert not report.int8 and report.quantization is None and report.batch_invariant


def test_static_matmuls_are_folded_with_their_bias_and_residuals_stay_float(bert):
    graph = onnx.load(str(bert["static"][1] / "model.onnx")).graph
    ops = [n.op_type for n in graph.node]
    assert ops.count("MatMulIntegerToFloat") == 14  # 2 layers x 6, the head's dense layer and the decoder
    assert "DequantizeLinear" not in ops  # nothing reads a fake-quantized activation: residuals see the float one
    with_bias = [n for n in graph.node if n.op_type == "MatMulIntegerToFloat" and len(n.input) == 7]
    assert len(with_bias) == 14


def test_a_calibration_file_is_used(tmp_path, bert):
    lines = [line for line in EVAL_TXT.read_text(encoding="utf-8").splitlines() if line.strip()][:20]
    text = tmp_path / "calib.txt"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = optimize_model(BERT, tmp_path / "out", int8=True, calibration=text, calibration_samples=8)
    assert report.calibration["source"] == str(text) and report.calibration["lines"] == 20
    assert report.calibration["samples"] <= 8 and report.batch_invariant
    new, default = (weights(directory) for directory in (tmp_path / "out", bert["static"][1]))
    assert new.keys() == default.keys()
    assert any(not np.array_equal(new[k], default[k]) for k in new)  # other text, other activation scales


@pytest.mark.parametrize("content", [None, "", "\n  \n\n"], ids=["missing", "empty", "blank lines"])
def test_a_missing_or_empty_calibration_file_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "calibration.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(FillMaskError) as info:
        optimize_model(BERT, tmp_path / "out", int8=True, calibration=path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "calibration file" in message
    assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.parametrize("kwargs", [{"int8": False, "calibration": "x.txt"}, {"int8": "dynamic", "calibration": "x.txt"},
                                    {"int8": "int4"}, {"int8": True, "calibration_samples": 0}])
def test_bad_int8_options_are_refused(tmp_path, kwargs):
    with pytest.raises(FillMaskError):
        optimize_model(BERT, tmp_path / "out", **kwargs)


@pytest.mark.cli
def test_cli_quantization_options(tmp_path, capsys):
    missing = tmp_path / "nope.txt"
    assert main(["optimize", str(BERT), "-o", str(tmp_path / "a"), "--int8", "--calibration", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(missing) in err
    assert main(["optimize", str(BERT), "-o", str(tmp_path / "b"), "--calibration", str(EVAL_TXT)]) == 2
    assert "--int8" in capsys.readouterr().err
    assert main(["optimize", str(BERT), "-o", str(tmp_path / "c"), "--quantization", "dynamic", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["quantization"] == "dynamic" and report["batch_invariant"] is False
