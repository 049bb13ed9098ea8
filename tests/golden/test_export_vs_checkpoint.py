"""compare --reference CHECKPOINT: every golden ONNX export against its own checkpoint run by the NumPy backend
(no torch) passes, and a quantized export's drift shows."""

from __future__ import annotations

import pytest

import fillmask_np as fm

from helpers import EVAL_TXT, GOLDEN, load_golden, load_manifest

MANIFEST = load_manifest()


def _checkpoint(name: str) -> fm.NumpyMaskedLM:
    return fm.NumpyMaskedLM(GOLDEN / MANIFEST["models"][name]["dir"])


@pytest.mark.parametrize("name", sorted(MANIFEST["models"]))
def test_every_golden_export_passes_against_its_own_checkpoint(name):
    model, tok = load_golden(name)
    texts = (GOLDEN / "text" / ("protein_eval.txt" if name == "esm" else "eval.txt")).read_text(
        encoding="utf-8").split("\n")[:40]
    report = fm.compare(model, _checkpoint(name), tok, texts, bootstrap=200)
    assert report.verdict == "PASS", (name, report.reasons)
    assert report.max_abs_logit_diff <= 1e-4 and abs(report.delta_cross_entropy) <= 1e-5
    assert report.settings["reference_kind"] == "numpy"


@pytest.mark.slow
def test_an_int8_export_against_its_checkpoint_shows_its_drift(tmp_path):
    pytest.importorskip("onnx", reason="optimize needs the onnx package (the test extra)")
    fm.optimize_model(GOLDEN / "models" / "bert", tmp_path / "int8", int8=True)
    _, tok = load_golden("bert")
    report = fm.compare(fm.OnnxMaskedLM(tmp_path / "int8"), _checkpoint("bert"), tok, EVAL_TXT, bootstrap=200)
    assert report.mean_kl > 1e-7 and report.max_abs_logit_diff > 1e-3  # the quantization shows
    assert report.verdict in ("PASS", "AT_RISK")
