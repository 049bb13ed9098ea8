"""compare(): two models on identical masks, the paired figures of real and toy models, the thresholds, the
models and tokenizers it refuses, and torch npz references (the paired statistics themselves:
tests/unit/numerics/test_paired.py; the verdict: tests/unit/metrics/test_verdict.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.masking import load_masks

from helpers import EVAL_TXT, GOLDEN, TableModel, require_shared, sha256, wikitext_lines, write_reference_npz

MODELS = GOLDEN / "models"
BERT = MODELS / "bert"
TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:60]


def _copy(src, dst):
    """An ``OnnxMaskedLM`` of a copy of ``src``'s model.onnx and config.json (the same model, another file)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "config.json"):
        shutil.copy2(src / name, dst / name)
    return fm.OnnxMaskedLM(dst / "model.onnx")


# ---------------------------------------------------------------------------------------------- thresholds
@pytest.mark.parametrize("options, match", [
    (dict(thresholds={"at_risk": 0.2}), r"thresholds=\{'at_risk': 0.2\} is not a Thresholds"),
    (dict(profile="strict"), "profile='strict' is not one of 'auto', 'fidelity', 'lossy'"),
    (dict(bootstrap=-1), "bootstrap=-1"),
    (dict(bootstrap_seed=-2), "bootstrap_seed=-2"),
])
def test_invalid_thresholds_are_refused(bert_model, bert_tok, options, match):
    with pytest.raises(fm.FillMaskError, match=match):
        fm.compare(bert_model, bert_model, bert_tok, TEXTS, **options)


# ---------------------------------------------------------------------------------------------- real models
def test_a_model_compared_with_a_copy_of_itself_has_every_difference_exactly_zero(tmp_path, bert_tok):
    report = fm.compare(_copy(BERT, tmp_path), fm.OnnxMaskedLM(BERT), bert_tok, TEXTS, bootstrap=200)
    assert report.verdict == "PASS"
    assert report.delta_cross_entropy == 0.0 and report.relative_delta == 0.0
    assert report.delta_ci95 == [0.0, 0.0]
    assert report.mean_kl == 0.0 and report.max_abs_logit_diff == 0.0
    assert report.top1_agreement == 1.0 and report.top5_overlap == 1.0
    assert report.mean_cosine == 1.0 and report.min_cosine == 1.0
    assert report.candidate.cross_entropy == report.reference.cross_entropy


def test_candidate_figures_equal_those_of_evaluate(bert_model, bert_tok):
    other = fm.OnnxMaskedLM(MODELS / "distilbert")
    report = fm.compare(bert_model, other, bert_tok, TEXTS, seed=4, bootstrap=0)
    alone = fm.evaluate(bert_model, bert_tok, TEXTS, seed=4)
    assert report.n_masked == alone.n_masked == report.reference.n_masked
    assert report.candidate.cross_entropy == alone.cross_entropy  # the same rows, the same correctly rounded sums
    assert report.reference.cross_entropy == fm.evaluate(other, bert_tok, TEXTS, seed=4).cross_entropy
    assert report.candidate.top1_accuracy == alone.top1_accuracy


def test_fp16_variant_differs_a_little_and_passes(bert_model, bert_tok):
    report = fm.compare(fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fp16"), bert_model, bert_tok, TEXTS)
    assert report.verdict == "PASS" and report.profile["name"] == "fidelity"
    assert 0 < abs(report.delta_cross_entropy) < 1e-3 and 0 < report.mean_kl < 1e-4
    assert 0 < report.max_abs_logit_diff < 0.05 and 0.9999 < report.min_cosine < 1.0
    low, high = report.delta_ci95
    assert low < high and abs(low) < 1e-3 and abs(high) < 1e-3


def test_models_of_different_fixed_lengths_share_the_smaller_max_length(bert_model, bert_tok):
    fixed = fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fixed_4x64")
    report = fm.compare(bert_model, fixed, bert_tok, TEXTS, bootstrap=0)
    assert report.settings["max_length"] == 64 and "reference" in report.settings["max_length_from"]
    assert report.verdict == "PASS" and report.max_abs_logit_diff < 1e-3


def test_a_max_length_beyond_the_smaller_fixed_length_is_refused(bert_model, bert_tok):
    fixed = fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fixed_4x64")
    with pytest.raises(fm.FillMaskError, match="max_length=100 exceeds the reference .* limit of 64"):
        fm.compare(bert_model, fixed, bert_tok, TEXTS, max_length=100)


def test_a_noisier_candidate_is_a_regression(bert_tok):
    report = fm.compare(TableModel(noise=3.0), TableModel(), bert_tok, TEXTS, bootstrap=100)
    assert report.verdict == "REGRESSION" and report.relative_delta > 0.10
    assert report.delta_ci95[0] > 0  # the paired interval excludes zero
    assert report.mean_kl > 0 and report.top1_agreement < 1


def test_a_lower_ce_passes_the_delta_criterion_but_a_changed_distribution_is_still_flagged(bert_tok):
    report = fm.compare(TableModel(), TableModel(noise=3.0), bert_tok, TEXTS, bootstrap=0)
    delta = next(c for c in report.criteria if c["name"] == "delta_ce")
    assert report.delta_cross_entropy < 0 and delta["status"] == "PASS"
    assert report.verdict == "REGRESSION" and report.mean_kl > 0.05  # the predictions are another model's
    off = fm.Thresholds(kl_at_risk=1e9, kl_regression=1e9, agreement_at_risk=0, agreement_regression=0,
                        top5_at_risk=0, top5_regression=0)
    loose = fm.compare(TableModel(), TableModel(noise=3.0), bert_tok, TEXTS, bootstrap=0, thresholds=off)
    assert loose.verdict == "PASS"  # with the divergence criteria off, a lower CE passes as before


def test_different_vocabulary_sizes_are_refused_naming_both(bert_model, bert_tok):
    deberta = fm.OnnxMaskedLM(MODELS / "deberta_v2")  # 1024 logits over a 1000-token vocabulary
    with pytest.raises(fm.FillMaskError, match=r"candidate .*bert.* has 1000 .* reference .*deberta_v2.* has 1024"):
        fm.compare(bert_model, deberta, bert_tok, TEXTS)


def test_logits_of_different_widths_at_run_time_are_refused(bert_tok):
    narrow = TableModel(vocab=1000)
    narrow.vocab_size = None  # width unknown until it runs
    wide = TableModel(vocab=1200)
    wide.vocab_size = None
    with pytest.raises(fm.FillMaskError, match="gives 1000 logits .* gives 1200"):
        fm.compare(narrow, wide, bert_tok, TEXTS)


def test_models_with_different_tokenizers_are_refused(bert_model, bert_tok):
    roberta_dir = MODELS / "roberta"  # same vocabulary size (1000), other tokens
    with pytest.raises(fm.TokenizerError, match="bert/tokenizer.json.*roberta/tokenizer.json.* different ids"):
        fm.compare(bert_model, fm.OnnxMaskedLM(roberta_dir), bert_tok, TEXTS,
                   reference_tokenizer=fm.Tokenizer.from_dir(roberta_dir))


def test_models_sharing_a_tokenizer_file_content_are_accepted(bert_model, bert_tok):
    electra_dir = MODELS / "electra"  # the same WordPiece tokenizer as bert
    report = fm.compare(fm.OnnxMaskedLM(electra_dir), bert_model, bert_tok, TEXTS, bootstrap=0,
                        reference_tokenizer=fm.Tokenizer.from_dir(electra_dir))
    assert report.delta_cross_entropy != 0


# ---------------------------------------------------------------------------------------------- torch npz reference
@pytest.fixture()
def table_masks(tmp_path, bert_tok):
    path = tmp_path / "masks.npz"
    fm.evaluate(TableModel(), bert_tok, TEXTS, seed=5, save_masks=path)
    return path


@pytest.mark.parametrize("compressed", [False, True])  # memory-mapped, or read whole
def test_npz_reference_of_the_candidates_own_logits_gives_zero_difference(tmp_path, bert_tok, table_masks, compressed):
    npz = write_reference_npz(tmp_path / "reference.npz", TableModel(), table_masks, compressed=compressed)
    report = fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks, bootstrap=50)
    assert report.settings["reference_kind"] == "torch_npz" and report.settings["seed"] == 5
    assert report.n_masked == int(np.count_nonzero(load_masks(table_masks).labels != -100))
    assert report.delta_cross_entropy == 0.0 and report.delta_ci95 == [0.0, 0.0]
    assert report.mean_kl == 0.0 and report.max_abs_logit_diff == 0.0 and report.min_cosine == 1.0
    assert report.provenance["reference"]["masks_sha256"] == sha256(table_masks)


def test_npz_reference_of_a_real_model_matches_it_on_replayed_masks(tmp_path, bert_model, bert_tok):
    masks = tmp_path / "masks.npz"
    fm.evaluate(bert_model, bert_tok, TEXTS, seed=2, save_masks=masks)
    npz = write_reference_npz(tmp_path / "reference.npz", bert_model, masks)  # all rows padded to the longest
    report = fm.compare(bert_model, npz, bert_tok, TEXTS, masks=masks, bootstrap=0)
    assert report.verdict == "PASS"
    assert report.delta_cross_entropy == 0.0 and report.max_abs_logit_diff == 0.0  # ORT: same rows at any padding
    assert report.reference.cross_entropy == pytest.approx(fm.cross_entropy(*_npz_pair(npz)), rel=1e-6)


def test_two_models_replay_a_mask_manifest_with_its_settings(tmp_path, bert_model, bert_tok, table_masks):
    report = fm.compare(bert_model, _copy(BERT, tmp_path), bert_tok, TEXTS, masks=table_masks, seed=99, bootstrap=0)
    assert report.settings["seed"] == 5 and report.settings["max_length_from"] == "masks file"
    assert report.n_masked == int(np.count_nonzero(load_masks(table_masks).labels != -100))
    assert report.delta_cross_entropy == 0.0


def _npz_pair(path):
    with np.load(path) as npz:
        return npz["logits"], npz["labels"]


def test_npz_reference_made_for_other_masks_is_refused_naming_both(tmp_path, bert_tok, table_masks):
    npz = write_reference_npz(tmp_path / "reference.npz", TableModel(), table_masks, masks_sha256="ab" * 32)
    sha = sha256(table_masks)
    with pytest.raises(fm.FillMaskError, match=f"sha256 {'ab' * 32}.* has sha256 {sha}"):
        fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks)


def test_npz_reference_needs_its_masks(tmp_path, bert_tok, table_masks):
    npz = write_reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    with pytest.raises(fm.FillMaskError, match="pass masks="):
        fm.compare(TableModel(), npz, bert_tok, TEXTS)


def test_npz_reference_of_another_width_is_refused(tmp_path, bert_tok, table_masks):
    npz = write_reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    wide = TableModel(vocab=1200)
    with pytest.raises(fm.FillMaskError, match="has 1200 logits .* has 1000"):
        fm.compare(wide, npz, bert_tok, TEXTS, masks=table_masks)


def test_npz_reference_with_other_labels_is_refused(tmp_path, bert_tok, table_masks):
    npz = write_reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    with np.load(npz) as f:
        arrays = dict(f)
    arrays["labels"] = arrays["labels"][:-1]
    np.savez(npz, **arrays)
    with pytest.raises(fm.NumericsError, match="labels but masks file"):
        fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks)


# ---------------------------------------------------------------------------------------------- real material
@pytest.mark.shared
@pytest.mark.slow
def test_splade_tiny_export_passes_the_fidelity_profile_against_its_checkpoint():
    directory = require_shared("real", "splade-tiny")
    texts = wikitext_lines(20)
    tok = fm.Tokenizer.from_dir(directory)
    report = fm.compare(fm.OnnxMaskedLM(directory), fm.NumpyMaskedLM(directory), tok, texts, bootstrap=100)
    assert report.verdict == "PASS" and report.n_masked > 0 and report.profile["name"] == "fidelity"
    # float32 rounding only (measured 2.1e-5 on 300 lines): 10x below the float16 copy's difference (0.020)
    assert report.max_abs_logit_diff < 2e-3 and report.mean_kl < 1e-9 and report.top1_agreement == 1.0
