"""Mask manifests replayed in PyTorch: the golden run of docs/fidelity.md's snippet, and fillmask_np on the same
masks.

The golden exporter writes, for each model of the manifest's ``replay`` section, the mask manifest of
eval.txt (built with HF's collator) and the output of ``golden_data/score_masks_torch.py`` run unchanged on
the torch model (docs/fidelity.md shows that very file: test_torch_snippet.py). Here: the golden files have the
documented format, ``evaluate(save_masks=)`` writes the same manifest, and ``evaluate(masks=)`` /
``compare`` on it agree with torch.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, REPO, load_golden, load_manifest, load_npz, sha256

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
REPLAY = MANIFEST.get("replay", {})
MODELS = sorted(REPLAY)
TOL = MANIFEST["tolerances"]
EVAL_TXT = GOLDEN / "text" / "eval.txt"
ARRAY_KEYS = ("sample_index", "input_ids", "attention_mask", "labels")
HEADER_KEYS = {"format", "tokenizer_sha256", "data_sha256", "seed", "masking", "mlm_probability",
               "mask_replace_prob", "random_replace_prob", "whole_word", "special_tokens", "max_length",
               "batch_size", "limit", "mask_token_id", "pad_token_id", "vocab_size", "n_samples", "n_rows"}
REFERENCE_KEYS = {"logits", "labels", "cross_entropy", "masks_sha256", "torch_version"}


def _masks(name: str) -> dict[str, np.ndarray]:
    return load_npz(GOLDEN / REPLAY[name]["masks"])


def _reference(name: str) -> dict[str, np.ndarray]:
    return load_npz(GOLDEN / REPLAY[name]["reference"])


def _rel(value: float, reference: float) -> float:
    return abs(value - reference) / abs(reference)


def test_the_golden_manifest_replays_bert_and_roberta_masks_in_torch():
    assert MODELS == ["bert", "roberta"]


@pytest.mark.parametrize("name", MODELS)
def test_golden_replay_was_made_by_the_committed_snippet(name):
    assert REPLAY[name]["snippet"] == "golden_data/score_masks_torch.py"
    assert REPLAY[name]["snippet_sha256"] == sha256(REPO / REPLAY[name]["snippet"])


@pytest.mark.parametrize("name", MODELS)
def test_golden_masks_file_has_the_manifest_keys_shapes_and_dtypes(name):
    masks = _masks(name)
    assert set(masks) == {"header", *ARRAY_KEYS}
    n_rows, length = masks["input_ids"].shape
    assert masks["sample_index"].shape == (n_rows,)
    for key in ARRAY_KEYS:
        assert masks[key].dtype == np.int64, key
    for key in ("attention_mask", "labels"):
        assert masks[key].shape == (n_rows, length), key
    assert masks["header"].shape == () and masks["header"].dtype.kind == "U"
    assert n_rows == REPLAY[name]["n_rows"] > 0


@pytest.mark.parametrize("name", MODELS)
def test_golden_masks_header_names_the_committed_tokenizer_and_data(name):
    masks, entry = _masks(name), MANIFEST["models"][name]
    header = json.loads(str(masks["header"]))
    assert set(header) == HEADER_KEYS and header == REPLAY[name]["header"]
    assert header["format"] == "fillmask_np.masks/1"
    assert header["tokenizer_sha256"] == sha256(GOLDEN / entry["dir"] / "tokenizer.json")
    assert header["data_sha256"] == sha256(EVAL_TXT)
    lines = EVAL_TXT.read_text(encoding="utf-8").split("\n")
    assert header["n_samples"] == sum(1 for line in lines if line.strip())
    assert header["n_rows"] == len(masks["input_ids"])
    assert (header["mask_token_id"], header["pad_token_id"], header["vocab_size"]) == (
        entry["mask_token_id"], entry["pad_token_id"], entry["len_tokenizer"])


@pytest.mark.parametrize("name", MODELS)
def test_golden_masks_rows_are_ascending_right_padded_and_each_scores_a_token(name):
    masks = _masks(name)
    pad = json.loads(str(masks["header"]))["pad_token_id"]
    attention, labels, ids = masks["attention_mask"], masks["labels"], masks["input_ids"]
    assert np.all(np.diff(masks["sample_index"]) > 0) and masks["sample_index"][0] >= 0
    assert set(np.unique(attention)) <= {0, 1} and np.all(np.diff(attention, axis=1) <= 0)
    assert np.all(ids[attention == 0] == pad) and np.all(labels[attention == 0] == -100)
    assert np.all((labels != -100).any(axis=1))
    assert int((labels != -100).sum()) == REPLAY[name]["n_masked"]


@pytest.mark.parametrize("name", MODELS)
def test_golden_torch_reference_has_the_format_and_belongs_to_its_masks(name):
    reference, masks = _reference(name), _masks(name)
    assert set(reference) == REFERENCE_KEYS
    scored = masks["labels"][masks["labels"] != -100]  # [M], row-major over (row, position)
    assert reference["logits"].dtype == np.float32
    assert reference["logits"].shape == (len(scored), MANIFEST["models"][name]["vocab_size"])
    assert reference["labels"].dtype == np.int64 and np.array_equal(reference["labels"], scored)
    assert reference["cross_entropy"].dtype == np.float64 and reference["cross_entropy"].shape == ()
    assert str(reference["masks_sha256"]) == sha256(GOLDEN / REPLAY[name]["masks"])
    assert str(reference["torch_version"]) == MANIFEST["versions"]["torch"]
    assert float(reference["cross_entropy"]) == REPLAY[name]["torch_cross_entropy"]


@pytest.mark.parametrize("name", MODELS)
def test_torch_replay_matches_the_per_sample_torch_reference_on_the_same_masks(name):
    per_sample = MANIFEST["models"][name]["eval_txt_reference"]
    assert REPLAY[name]["n_masked"] == per_sample["n_masked"]
    assert _rel(REPLAY[name]["torch_cross_entropy"], per_sample["cross_entropy"]) <= TOL["loss_rtol_torch_logits"]


@pytest.mark.parametrize("name", MODELS)
def test_numpy_cross_entropy_of_the_torch_logits_matches_the_torch_loss(name):
    reference = _reference(name)
    ours = fm.cross_entropy(reference["logits"], reference["labels"])
    assert _rel(ours, float(reference["cross_entropy"])) <= TOL["loss_rtol_torch_logits"]


@pytest.mark.parametrize("name", MODELS)
def test_evaluate_save_masks_writes_the_golden_manifest(name, tmp_path):
    path = tmp_path / "masks.npz"
    fm.evaluate(*load_golden(name), str(EVAL_TXT), seed=0, save_masks=path)
    ours, golden = load_npz(path), _masks(name)
    assert set(ours) == set(golden)
    for key in ARRAY_KEYS:
        assert ours[key].dtype == golden[key].dtype and ours[key].shape == golden[key].shape, key
        assert np.array_equal(ours[key], golden[key]), key
    assert json.loads(str(ours["header"])) == json.loads(str(golden["header"]))


@pytest.mark.parametrize("name", MODELS)
def test_evaluate_on_the_golden_masks_matches_torch_cross_entropy(name):
    report = fm.evaluate(*load_golden(name), str(EVAL_TXT), masks=GOLDEN / REPLAY[name]["masks"])
    assert report.n_masked == REPLAY[name]["n_masked"]
    assert report.n_scored_samples == REPLAY[name]["n_rows"]
    assert _rel(report.cross_entropy, REPLAY[name]["torch_cross_entropy"]) <= TOL["loss_rtol_ort_logits"]


def test_evaluate_refuses_the_golden_masks_of_another_tokenizer():
    with pytest.raises(fm.MaskingError, match="tokenizer"):
        fm.evaluate(*load_golden("bert"), str(EVAL_TXT), masks=GOLDEN / REPLAY["roberta"]["masks"])


@pytest.mark.parametrize("name", MODELS)
def test_compare_with_the_golden_torch_reference_passes_within_the_tolerances(name):
    torch_ce = REPLAY[name]["torch_cross_entropy"]
    model, tok = load_golden(name)
    report = fm.compare(model, GOLDEN / REPLAY[name]["reference"], tok, str(EVAL_TXT),
                        masks=GOLDEN / REPLAY[name]["masks"], bootstrap=0)
    assert report.verdict == "PASS"
    assert report.n_masked == REPLAY[name]["n_masked"]
    assert _rel(report.reference.cross_entropy, torch_ce) <= TOL["loss_rtol_torch_logits"]
    assert abs(report.delta_cross_entropy) <= TOL["loss_rtol_ort_logits"] * torch_ce
    assert report.max_abs_logit_diff <= TOL["ort_logits_atol"]
