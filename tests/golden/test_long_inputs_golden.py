"""``long="window"`` against torch's windowed loops (the golden manifest's "long_inputs" section): pseudo-log-
likelihood and evaluation of a text longer than the window, per token and per sample, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_manifest, load_npz

pytestmark = pytest.mark.golden

SECTION = load_manifest().get("long_inputs", {})
CASES = [(name, backend) for name in sorted(SECTION) for backend in ("onnx", "numpy")]


def _case(name: str, backend: str) -> tuple[dict, dict[str, np.ndarray], fm.MaskedLM, fm.Tokenizer]:
    entry = SECTION[name]
    directory = GOLDEN / load_manifest()["models"][name]["dir"]
    model = fm.OnnxMaskedLM(directory) if backend == "onnx" else fm.NumpyMaskedLM(directory)
    return entry, load_npz(GOLDEN / entry["file"]), model, fm.Tokenizer.from_dir(directory)


def test_the_long_text_needs_several_windows_and_the_short_one_fits_in_one():
    for entry in SECTION.values():
        assert entry["n_tokens"][0] > entry["max_length"] and entry["n_windows"][0] > 2
        assert entry["n_tokens"][1] <= entry["max_length"] and entry["n_windows"][1] == 1


@pytest.mark.parametrize("name,backend", CASES)
def test_windowed_pll_matches_torch_per_token_and_per_sample(name, backend, manifest):
    entry, arrays, model, tok = _case(name, backend)
    report = fm.pseudo_log_likelihood(model, tok, entry["texts"], max_length=entry["max_length"], long="window",
                                      stride=entry["stride"], return_tokens=True)
    rtol, atol = manifest["tolerances"]["loss_rtol_ort_logits"], manifest["tolerances"]["ort_logits_atol"]
    flat = arrays["row_splits"][:-1][report.tokens["sample"]] + report.tokens["position"]
    np.testing.assert_array_equal(flat, np.flatnonzero(arrays["special_tokens_mask"] == 0))  # each token once
    np.testing.assert_array_equal(report.tokens["token_id"], arrays["input_ids"][flat])
    np.testing.assert_allclose(report.tokens["log_prob"], arrays["pll_token_log_prob"][flat], rtol=0, atol=2 * atol)
    np.testing.assert_allclose(report.per_sample["pseudo_log_likelihood"], entry["pppl"]["pll"], rtol=rtol)
    assert report.n_scored_tokens == entry["pppl"]["n_scored_tokens"] and report.n_truncated == 0
    assert report.pseudo_perplexity == pytest.approx(entry["pppl"]["pseudo_perplexity"], rel=rtol)
    assert (report.settings["long"], report.settings["stride"]) == ("window", entry["stride"])


@pytest.mark.parametrize("name,backend", CASES)
def test_windowed_eval_matches_torch_masks_drawn_over_the_whole_sample(name, backend, manifest):
    entry, arrays, model, tok = _case(name, backend)
    figures = entry["eval"]
    report = fm.evaluate(model, tok, entry["texts"], max_length=entry["max_length"], long="window",
                         stride=entry["stride"], seed=figures["seed"], mlm_probability=figures["mlm_probability"],
                         return_tokens=True)
    rtol, atol = manifest["tolerances"]["loss_rtol_ort_logits"], manifest["tolerances"]["ort_logits_atol"]
    flat = arrays["row_splits"][:-1][report.tokens["sample"]] + report.tokens["position"]
    np.testing.assert_array_equal(flat, np.flatnonzero(arrays["labels"] != -100))  # the same masks, each once
    np.testing.assert_array_equal(report.tokens["input_id"], arrays["masked_ids"][flat])
    np.testing.assert_allclose(report.tokens["loss"], arrays["eval_token_nll"][flat], rtol=0, atol=2 * atol)
    assert report.n_masked == figures["n_masked"] and report.n_truncated == 0
    assert report.cross_entropy == pytest.approx(figures["cross_entropy"], rel=rtol)
    assert round(report.top1_accuracy * report.n_masked) == figures["top1"]
