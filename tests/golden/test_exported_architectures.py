"""Every exported architecture end to end: evaluate() and fill_mask() reproduce torch's own figures."""

from __future__ import annotations

import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_golden, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
MODELS = sorted(name for name, entry in MANIFEST["models"].items() if "export_error" not in entry)
TOL = MANIFEST["tolerances"]


@pytest.mark.parametrize("name", MODELS)
def test_tokenizer_special_ids_and_size_match_hugging_face(name):
    entry = MANIFEST["models"][name]
    _, tok = load_golden(name)
    assert len(tok) == entry["len_tokenizer"]
    assert (tok.mask_token_id, tok.pad_token_id) == (entry["mask_token_id"], entry["pad_token_id"])
    assert (tok.cls_token_id, tok.sep_token_id) == (entry["cls_token_id"], entry["sep_token_id"])


@pytest.mark.parametrize("name", MODELS)
def test_evaluate_reproduces_torch_per_sample_figure(name):
    """The whole path: tokenize, mask sample i with default_rng([0, i]), run ONNX, score; torch did the same."""
    reference = MANIFEST["models"][name]["eval_txt_reference"]
    model, tok = load_golden(name)
    report = fm.evaluate(model, tok, GOLDEN / reference["text_file"], seed=reference["seed"],
                         max_length=reference["max_length"])
    assert (report.n_samples, report.n_tokens) == (reference["n_samples"], reference["n_tokens"])
    assert report.n_masked == reference["n_masked"]
    assert report.cross_entropy == pytest.approx(reference["cross_entropy"], rel=TOL["loss_rtol_ort_logits"])


@pytest.mark.parametrize("name, prompt", [(n, p) for n in MODELS for p in MANIFEST["models"][n]["demo_predictions"]])
def test_fill_mask_matches_torch_top_k(name, prompt):
    torch_top = MANIFEST["models"][name]["demo_predictions"][prompt]
    model, tok = load_golden(name)
    ours = fm.fill_mask(model, tok, prompt, top_k=len(torch_top))
    assert [c["token"] for c in ours] == [token_id for _, token_id, _ in torch_top]
    assert [c["score"] for c in ours] == pytest.approx([p for _, _, p in torch_top], abs=1e-5)
