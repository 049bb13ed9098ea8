"""compare(): two models on identical masks, the paired figures, the verdict and `fillmask-np compare`."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from fillmask_np.metrics import verdict
from fillmask_np.numerics import paired_bootstrap, paired_rows, top_k_indices
from fillmask_np.cli import main
from fillmask_np.masking import load_masks

from helpers import GOLDEN, TableModel, require_shared

MODELS = GOLDEN / "models"
BERT = MODELS / "bert"
EVAL_TXT = GOLDEN / "text" / "eval.txt"
TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:60]


def _reference_npz(path, model, masks_path, *, masks_sha256=None, compressed=False):
    """A reference.npz in score_masks_torch.py's format, from ``model``'s logits on the manifest's rows."""
    masks = load_masks(masks_path)
    positions = np.argwhere(masks.labels != -100)  # [M, 2], row-major
    logits = model.masked_logits(masks.input_ids, masks.attention_mask, None, positions)  # [M, V]
    labels = masks.labels[positions[:, 0], positions[:, 1]]
    save = np.savez_compressed if compressed else np.savez
    save(path, logits=logits, labels=labels, cross_entropy=np.float64(fm.cross_entropy(logits, labels)),
         masks_sha256=masks_sha256 or hashlib.sha256(masks_path.read_bytes()).hexdigest(), torch_version="none")
    return path


# ---------------------------------------------------------------------------------------------- figures by hand
def test_kl_nll_and_agreement_of_two_rows_match_hand_derived_values():
    ref = np.array([[0.0, 0.0]])  # p = (1/2, 1/2)
    cand = np.array([[math.log(3.0), 0.0]])  # q = (3/4, 1/4)
    rows = paired_rows(ref, cand, np.array([0]))
    assert rows.kl[0] == pytest.approx(0.5 * math.log(4.0 / 3.0), rel=1e-12)  # ½ln(½/¾) + ½ln(½/¼)
    assert rows.nll_ref[0] == pytest.approx(math.log(2.0), rel=1e-7)
    assert rows.nll_cand[0] == pytest.approx(math.log(4.0 / 3.0), rel=1e-7)
    assert rows.top1_agree[0]  # argmax ties go to the lower index: 0 for both
    assert rows.max_abs[0] == pytest.approx(math.log(3.0))


def test_cosine_of_two_rows_matches_hand_derived_value():
    rows = paired_rows(np.array([[1.0, 0.0, 0.0]]), np.array([[1.0, 1.0, 0.0]]), np.array([0]))
    assert rows.cosine[0] == pytest.approx(1.0 / math.sqrt(2.0), rel=1e-12)


def test_top5_overlap_counts_the_shared_top_five_entries():
    ref = np.array([[6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])  # top 5: ids 0..4
    cand = ref[:, ::-1].copy()  # top 5: ids 2..6
    rows = paired_rows(ref, cand, np.array([3]))
    assert rows.top5_overlap[0] == pytest.approx(3 / 5)
    assert not rows.top1_agree[0]


def test_top_k_ties_go_to_the_lower_index():
    assert top_k_indices(np.array([[1.0, 2.0, 2.0, 2.0, 0.0]]), 2).tolist() == [[1, 2]]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3000), st.integers(0, 2**32 - 1))
def test_top_k_equals_a_full_stable_sort(m, vocab, seed):
    x = np.random.default_rng(seed).integers(-3, 4, size=(m, vocab)).astype(np.float64)  # many ties
    expected = np.argsort(-x, axis=1, kind="stable")[:, :5]  # value descending, ties by id
    assert np.array_equal(top_k_indices(x, 5), expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_a_row_block_compared_with_itself_has_zero_divergence(m, vocab, seed):
    rng = np.random.default_rng(seed)
    rows = rng.normal(scale=5.0, size=(m, vocab)).astype(np.float32)
    out = paired_rows(rows, rows.copy(), rng.integers(0, vocab, size=m))
    assert np.all(out.kl == 0) and np.all(out.max_abs == 0) and np.all(out.cosine == 1.0)
    assert np.all(out.top1_agree) and np.all(out.top5_overlap == 1.0)
    assert np.array_equal(out.nll_ref, out.nll_cand)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_kl_is_non_negative_and_cosine_within_bounds(m, vocab, seed):
    rng = np.random.default_rng(seed)
    ref, cand = rng.normal(scale=3.0, size=(2, m, vocab))
    out = paired_rows(ref, cand, rng.integers(0, vocab, size=m))
    assert np.all(out.kl >= -1e-12)
    assert np.all(np.abs(out.cosine) <= 1.0 + 1e-12)


def test_nan_logits_fail_loudly_naming_the_side():
    ref = np.zeros((2, 4))
    cand = ref.copy()
    cand[1, 2] = np.nan
    with pytest.raises(fm.NumericsError, match="candidate logits .* 1 NaN"):
        paired_rows(ref, cand, np.array([0, 1]))


# ---------------------------------------------------------------------------------------------- bootstrap
def test_bootstrap_of_a_constant_difference_is_that_constant():
    assert paired_bootstrap(np.full(50, 0.25), 200, seed=3) == (0.25, 0.25)


def test_bootstrap_is_reproducible_for_a_seed_and_varies_with_it():
    delta = np.random.default_rng(0).normal(size=300)
    assert paired_bootstrap(delta, 300, seed=7) == paired_bootstrap(delta, 300, seed=7)
    assert paired_bootstrap(delta, 300, seed=7) != paired_bootstrap(delta, 300, seed=8)


def test_bootstrap_interval_matches_the_normal_approximation():
    delta = np.random.default_rng(1).normal(loc=0.2, scale=1.0, size=2000)
    low, high = paired_bootstrap(delta, 2000, seed=0)
    half = 1.959964 * delta.std() / math.sqrt(len(delta))  # mean ± z_0.975 · sd / √M
    assert low == pytest.approx(delta.mean() - half, abs=0.15 * half)
    assert high == pytest.approx(delta.mean() + half, abs=0.15 * half)


def test_bootstrap_zero_resamples_gives_no_interval():
    assert paired_bootstrap(np.ones(5), 0, seed=0) is None


# ---------------------------------------------------------------------------------------------- verdict
@pytest.mark.parametrize("rel, expected", [(-0.5, "PASS"), (0.0, "PASS"), (0.05, "PASS"), (0.0500001, "AT_RISK"),
                                           (0.10, "AT_RISK"), (0.1000001, "REGRESSION")])
def test_verdict_thresholds_are_inclusive(rel, expected):
    assert verdict(rel, 0.05, 0.10) == expected


@pytest.mark.parametrize("options, match", [
    (dict(at_risk=0.2, regression=0.1), "at_risk=0.2 is above regression=0.1"),
    (dict(at_risk=-0.01), "at_risk=-0.01"),
    (dict(regression=float("nan")), "regression=nan"),
    (dict(bootstrap=-1), "bootstrap=-1"),
    (dict(bootstrap_seed=-2), "bootstrap_seed=-2"),
])
def test_invalid_thresholds_are_refused(bert_model, bert_tok, options, match):
    with pytest.raises(fm.FillMaskError, match=match):
        fm.compare(bert_model, bert_model, bert_tok, TEXTS, **options)


# ---------------------------------------------------------------------------------------------- real models
def test_a_model_compared_with_itself_has_every_difference_exactly_zero(bert_tok):
    report = fm.compare(fm.OnnxMaskedLM(BERT), fm.OnnxMaskedLM(BERT), bert_tok, TEXTS, bootstrap=200)
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
    assert report.candidate.cross_entropy == pytest.approx(alone.cross_entropy, rel=1e-12)
    assert report.reference.cross_entropy == pytest.approx(fm.evaluate(other, bert_tok, TEXTS, seed=4).cross_entropy,
                                                           rel=1e-12)
    assert report.candidate.top1_accuracy == alone.top1_accuracy


def test_fp16_variant_differs_a_little_and_passes(bert_model, bert_tok):
    report = fm.compare(fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fp16"), bert_model, bert_tok, TEXTS)
    assert report.verdict == "PASS"
    assert 0 < abs(report.delta_cross_entropy) < 1e-3 and 0 < report.mean_kl < 1e-4
    assert 0 < report.max_abs_logit_diff < 0.05 and 0.9999 < report.min_cosine < 1.0
    low, high = report.delta_ci95
    assert low < high and abs(low) < 1e-3 and abs(high) < 1e-3


def test_models_of_different_fixed_lengths_share_the_smaller_max_length(bert_model, bert_tok):
    fixed = fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fixed_4x64")
    report = fm.compare(bert_model, fixed, bert_tok, TEXTS, bootstrap=0)
    assert report.settings["max_length"] == 64 and "reference" in report.settings["max_length_from"]
    assert report.verdict == "PASS" and report.max_abs_logit_diff < 1e-3
    with pytest.raises(fm.FillMaskError, match="max_length=100 exceeds the reference .* limit of 64"):
        fm.compare(bert_model, fixed, bert_tok, TEXTS, max_length=100)


def test_a_noisier_candidate_is_a_regression(bert_tok):
    report = fm.compare(TableModel(noise=3.0), TableModel(), bert_tok, TEXTS, bootstrap=100)
    assert report.verdict == "REGRESSION" and report.relative_delta > 0.10
    assert report.delta_ci95[0] > 0  # the paired interval excludes zero
    assert report.mean_kl > 0 and report.top1_agreement < 1


def test_a_better_candidate_passes(bert_tok):
    report = fm.compare(TableModel(), TableModel(noise=3.0), bert_tok, TEXTS, bootstrap=0)
    assert report.delta_cross_entropy < 0 and report.verdict == "PASS"


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
    npz = _reference_npz(tmp_path / "reference.npz", TableModel(), table_masks, compressed=compressed)
    report = fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks, bootstrap=50)
    assert report.settings["reference_kind"] == "torch_npz" and report.settings["seed"] == 5
    assert report.n_masked == int(np.count_nonzero(load_masks(table_masks).labels != -100))
    assert report.delta_cross_entropy == 0.0 and report.delta_ci95 == [0.0, 0.0]
    assert report.mean_kl == 0.0 and report.max_abs_logit_diff == 0.0 and report.min_cosine == 1.0
    assert report.provenance["reference"]["masks_sha256"] == hashlib.sha256(table_masks.read_bytes()).hexdigest()


def test_npz_reference_of_a_real_model_matches_it_on_replayed_masks(tmp_path, bert_model, bert_tok):
    masks = tmp_path / "masks.npz"
    fm.evaluate(bert_model, bert_tok, TEXTS, seed=2, save_masks=masks)
    npz = _reference_npz(tmp_path / "reference.npz", bert_model, masks)  # all rows padded to the longest
    report = fm.compare(bert_model, npz, bert_tok, TEXTS, masks=masks, bootstrap=0)
    assert report.verdict == "PASS"
    assert abs(report.delta_cross_entropy) < 1e-5 and report.max_abs_logit_diff < 1e-4
    assert report.reference.cross_entropy == pytest.approx(fm.cross_entropy(*_npz_pair(npz)), rel=1e-6)


def test_two_models_replay_a_mask_manifest_with_its_settings(bert_model, bert_tok, table_masks):
    report = fm.compare(bert_model, fm.OnnxMaskedLM(BERT), bert_tok, TEXTS, masks=table_masks, seed=99, bootstrap=0)
    assert report.settings["seed"] == 5 and report.settings["max_length_from"] == "masks file"
    assert report.n_masked == int(np.count_nonzero(load_masks(table_masks).labels != -100))
    assert report.delta_cross_entropy == 0.0


def _npz_pair(path):
    with np.load(path) as npz:
        return npz["logits"], npz["labels"]


def test_npz_reference_made_for_other_masks_is_refused_naming_both(tmp_path, bert_tok, table_masks):
    npz = _reference_npz(tmp_path / "reference.npz", TableModel(), table_masks, masks_sha256="ab" * 32)
    sha = hashlib.sha256(table_masks.read_bytes()).hexdigest()
    with pytest.raises(fm.FillMaskError, match=f"sha256 {'ab' * 32}.* has sha256 {sha}"):
        fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks)


def test_npz_reference_needs_its_masks(tmp_path, bert_tok, table_masks):
    npz = _reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    with pytest.raises(fm.FillMaskError, match="pass masks="):
        fm.compare(TableModel(), npz, bert_tok, TEXTS)


def test_npz_reference_of_another_width_is_refused(tmp_path, bert_tok, table_masks):
    npz = _reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    wide = TableModel(vocab=1200)
    with pytest.raises(fm.FillMaskError, match="has 1200 logits .* has 1000"):
        fm.compare(wide, npz, bert_tok, TEXTS, masks=table_masks)


def test_npz_reference_with_other_labels_is_refused(tmp_path, bert_tok, table_masks):
    npz = _reference_npz(tmp_path / "reference.npz", TableModel(), table_masks)
    with np.load(npz) as f:
        arrays = dict(f)
    arrays["labels"] = arrays["labels"][:-1]
    np.savez(npz, **arrays)
    with pytest.raises(fm.NumericsError, match="labels but masks file"):
        fm.compare(TableModel(), npz, bert_tok, TEXTS, masks=table_masks)


# ---------------------------------------------------------------------------------------------- command line
def test_cli_self_compare_passes_with_exit_0(capsys):
    assert main(["compare", "--reference", str(BERT), "--data", str(EVAL_TXT), "--limit", "40"]) == 0
    out = capsys.readouterr().out
    assert "verdict          PASS" in out and "+0.000e+00" in out


def test_cli_exit_1_on_regression_and_0_on_at_risk(capsys, manifest):
    ce = {m: manifest["models"][m]["eval_txt_reference"]["cross_entropy"] for m in ("electra", "bert")}
    rel = ce["electra"] / ce["bert"] - 1  # torch's per-sample figures: electra is ~8 % worse on eval.txt
    assert 0.05 < rel < 0.10
    args = ["compare", "--model", str(MODELS / "electra"), "--reference", str(BERT), "--bootstrap", "0"]
    assert main(args) == 0 and "AT_RISK" in capsys.readouterr().out
    assert main(args + ["--at-risk", f"{rel / 4:.4f}", "--regression", f"{rel / 2:.4f}"]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_cli_json_has_every_figure_and_its_provenance(capsys, bert_tok):
    assert main(["compare", "--reference", str(GOLDEN / "variants" / "bert_fp16"), "--limit", "30", "--seed", "3",
                 "--bootstrap", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"verdict", "delta_cross_entropy", "relative_delta", "delta_ci95", "mean_kl", "top1_agreement",
            "top5_overlap", "max_abs_logit_diff", "mean_cosine", "min_cosine", "n_masked", "candidate", "reference",
            "thresholds", "settings", "provenance"} <= set(report)
    assert {"cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy"} <= set(report["candidate"])
    prov = report["provenance"]
    assert prov["model"]["sha256"] == hashlib.sha256((BERT / "model.onnx").read_bytes()).hexdigest()
    assert prov["reference"]["sha256"] == hashlib.sha256(
        (GOLDEN / "variants" / "bert_fp16" / "model.onnx").read_bytes()).hexdigest()
    assert prov["reference"]["opsets"] and prov["model"]["providers"] == ["CPUExecutionProvider"]
    assert prov["tokenizer"]["sha256"] and prov["data"]["sha256"] and prov["onnxruntime"]
    assert (prov["seed"], prov["masking"], prov["n_masked"]) == (3, "per_sample", report["n_masked"])


def test_cli_torch_npz_reference_replays_its_masks(tmp_path, capsys, bert_model, bert_tok):
    masks = tmp_path / "masks.npz"
    fm.evaluate(bert_model, bert_tok, str(EVAL_TXT), seed=1, limit=30, save_masks=masks)
    npz = _reference_npz(tmp_path / "reference.npz", bert_model, masks)
    assert main(["compare", "--reference", str(npz), "--masks", str(masks), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["reference_kind"] == "torch_npz" and report["settings"]["seed"] == 1
    assert report["provenance"]["reference"]["torch_version"] == "none"
    assert main(["compare", "--reference", str(npz), "--masks", str(masks), "--seed", "2"]) == 2
    assert "conflicts with masks file" in capsys.readouterr().err


def test_cli_different_tokenizers_exit_2_with_one_line(capsys):
    assert main(["compare", "--model", str(MODELS / "roberta"), "--reference", str(BERT)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1 and "different ids" in err


# ---------------------------------------------------------------------------------------------- real material
def test_splade_tiny_compared_with_itself_passes_with_zero_delta():
    directory = require_shared("real", "splade-tiny")
    path = require_shared("real", "wikitext-2-raw", "wiki.test.raw")
    lines = [line.rstrip("\r") for line in path.read_text(encoding="utf-8").split("\n")]
    texts = [line for line in lines if line.strip() and not line.startswith(" = ")][:20]
    tok = fm.Tokenizer.from_dir(directory)
    report = fm.compare(fm.OnnxMaskedLM(directory), fm.OnnxMaskedLM(directory), tok, texts, bootstrap=100)
    assert report.verdict == "PASS" and report.n_masked > 0
    assert report.delta_cross_entropy == 0.0 and report.mean_kl == 0.0 and report.top1_agreement == 1.0
