"""Variant scores against torch's (the golden manifest's "protein_variants" section, written by
golden_data/exporter/protein_variants.py as ESM's predict.py computes them): the three strategies and a windowed
masked-marginals run, on the golden ESM and BERT models, with both backends (ONNX, the same export rewritten by
``fillmask-np optimize``, and the NumPy checkpoint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fillmask_np as fm
from helpers import GOLDEN, load_golden, load_manifest, load_npz
from helpers.golden_models import optimize_golden

pytestmark = pytest.mark.golden

SECTION = load_manifest().get("protein_variants", {})
MODELS = sorted(SECTION.get("models", {}))
STRATEGIES = ("wt-marginals", "masked-marginals", "pseudo-ppl", "masked-marginals_windowed")


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    """name -> the golden export rewritten by ``fillmask-np optimize`` (attention fused, last layer on masked rows)."""
    pytest.importorskip("onnx", reason="optimize needs the onnx package (the optimize extra)")
    return {name: directory for name, (_, directory) in optimize_golden(tuple(MODELS), tmp_path_factory,
                                                                          "optimized").items()}


def _model(name: str, backend: str, optimized: dict[str, Path]) -> tuple[fm.MaskedLM, fm.Tokenizer]:
    onnx, tok = load_golden(name)
    if backend == "onnx":
        return onnx, tok
    if backend == "optimized":
        return fm.OnnxMaskedLM(optimized[name]), tok
    return fm.NumpyMaskedLM(GOLDEN / "models" / name), tok


def _wild_type() -> str:
    lines = (GOLDEN / SECTION["wild_type"]["file"]).read_text(encoding="utf-8").split("\n")
    return lines[SECTION["wild_type"]["line_index"]]


def test_the_reference_covers_the_protein_model_and_a_word_piece_model():
    assert MODELS == ["bert", "esm"]
    assert len(_wild_type()) == SECTION["wild_type"]["n_residues"]
    assert any(":" in m for m in SECTION["mutations"])  # multi-substitution mutants are scored too


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("backend", ["onnx", "optimized", "numpy"])
@pytest.mark.parametrize("name", MODELS)
def test_variant_scores_match_torch_within_the_manifest_tolerance(name, backend, strategy, optimized):
    model, tok = _model(name, backend, optimized)
    expected = load_npz(GOLDEN / SECTION["models"][name]["file"])[strategy.replace("-", "_")]
    windowed = strategy.endswith("_windowed")
    options = dict(max_length=SECTION["window"]["max_length"], stride=SECTION["window"]["stride"]) if windowed else {}
    report = fm.score_variants(model, tok, _wild_type(), SECTION["mutations"],
                               strategy=strategy.removesuffix("_windowed"), offset=SECTION["offset"], **options)
    assert report.n_windows > 1 if windowed else report.n_windows == 1
    np.testing.assert_allclose(report.scores, expected, rtol=0, atol=SECTION["tolerances"]["score_atol"])
