"""Minimal pairs against torch (the golden manifest's "pairs" section: minicons-style PLLs of the hand-written
BLiMP-style pairs on golden bert and roberta): each sentence's PLL, scored-token count and the accuracy, both
variants, on both backends (ONNX Runtime and the NumPy checkpoint)."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_manifest, load_npz

pytestmark = pytest.mark.golden

PAIRS_MODELS = sorted(load_manifest().get("pairs", {}))
VARIANTS = ("original", "within_word_l2r")
BACKENDS = ("onnx", "numpy")


def test_the_golden_manifest_has_pairs_for_bert_and_roberta(manifest):
    assert {"bert", "roberta"} <= set(manifest.get("pairs", {}))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", PAIRS_MODELS)
def test_pair_plls_and_accuracy_match_torch(name, variant, backend, manifest):
    entry = manifest["pairs"][name]
    arrays = load_npz(GOLDEN / entry["file"])
    directory = GOLDEN / manifest["models"][name]["dir"]
    model = fm.OnnxMaskedLM(directory) if backend == "onnx" else fm.NumpyMaskedLM(directory)
    report = fm.score_pairs(model, fm.Tokenizer.from_dir(directory), GOLDEN / entry["text_file"], variant=variant)
    rtol, atol = manifest["tolerances"]["loss_rtol_ort_logits"], manifest["tolerances"]["ort_logits_atol"]
    assert report.n_pairs == entry["n_pairs"]
    for side in ("good", "bad"):
        torch_pll = arrays[f"{variant}_{side}_pll"]
        n_scored = arrays[f"{variant}_{side}_n_scored"]
        assert [p[f"{side}_tokens"] for p in report.pairs] == n_scored.tolist()
        ours = np.array([p[f"{side}_pll"] for p in report.pairs])  # [P]
        bound = rtol * np.abs(torch_pll) + atol * n_scored  # [P]: each scored token within the logits tolerance
        assert (np.abs(ours - torch_pll) <= bound).all(), (side, np.abs(ours - torch_pll).max())
    assert report.accuracy == entry["variants"][variant]["accuracy"]
    assert report.n_correct == entry["variants"][variant]["n_correct"]
