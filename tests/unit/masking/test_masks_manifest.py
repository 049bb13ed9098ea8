"""Mask manifests: evaluate(save_masks=) writes the masks drawn, evaluate(masks=) replays them, and a manifest
that does not fit its tokenizer, its data or its format is refused (the CLI's --save-masks / --masks:
tests/cli/test_cli_masks.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.masking import masked_batches, replay_config
from fillmask_np.metrics.counts import new_counts
from fillmask_np.masking.manifest import ARRAY_KEYS, FORMAT, HEADER_KEYS

from helpers import EVAL_TXT, GOLDEN, load_npz, sha256

BERT = GOLDEN / "models" / "bert"
ROBERTA = GOLDEN / "models" / "roberta"


def _write(path, header: dict, arrays: dict) -> None:
    np.savez(path, header=np.array(json.dumps(header, sort_keys=True)), **arrays)


def _figures(report: fm.EvalReport) -> dict:
    out = report.to_dict()
    del out["settings"], out["saved_masks"]  # what the run was told and what it wrote, not figures
    return out


def test_manifest_loads_without_pickle_with_the_documented_keys_and_dtypes(saved_masks):
    arrays = load_npz(saved_masks[1])
    assert set(arrays) == {"header", *ARRAY_KEYS}
    assert arrays["header"].shape == () and arrays["header"].dtype.kind == "U"
    n_rows, length = arrays["input_ids"].shape
    assert arrays["sample_index"].shape == (n_rows,)
    for key in ARRAY_KEYS:
        assert arrays[key].dtype == np.int64, key
    assert arrays["attention_mask"].shape == arrays["labels"].shape == (n_rows, length)


def test_manifest_header_names_the_files_settings_and_counts(saved_masks, bert_tok):
    report, path = saved_masks
    header = json.loads(str(load_npz(path)["header"]))
    assert set(header) == HEADER_KEYS and header["format"] == FORMAT == "fillmask_np.masks/1"
    assert header["tokenizer_sha256"] == sha256(BERT / "tokenizer.json")
    assert header["data_sha256"] == sha256(EVAL_TXT)
    assert {k: header[k] for k in ("seed", "masking", "whole_word", "special_tokens", "max_length", "batch_size",
                                   "limit", "mlm_probability", "mask_replace_prob", "random_replace_prob")} == {
        k: report.settings[k] for k in ("seed", "masking", "whole_word", "special_tokens", "max_length", "batch_size",
                                        "limit", "mlm_probability", "mask_replace_prob", "random_replace_prob")}
    assert (header["mask_token_id"], header["pad_token_id"], header["vocab_size"]) == (4, 0, len(bert_tok))
    assert (header["n_samples"], header["n_rows"]) == (report.n_samples, report.n_scored_samples)


def test_manifest_rows_are_the_per_sample_masks_drawn_by_hand(saved_masks, bert_tok):
    arrays = load_npz(saved_masks[1])
    samples = [t for t in EVAL_TXT.read_text(encoding="utf-8").split("\n") if t.strip()]
    expected_index = []
    for i, text in enumerate(samples):
        enc = bert_tok.encode_batch([text], max_length=128)
        masked, labels = fm.mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask,
                                        mask_token_id=4, vocab_size=len(bert_tok), rng=np.random.default_rng([0, i]))
        if not (labels != -100).any():
            continue
        r = len(expected_index)
        expected_index.append(i)
        n = masked.shape[1]
        assert np.array_equal(arrays["input_ids"][r, :n], masked[0]) and np.all(arrays["input_ids"][r, n:] == 0)
        assert np.array_equal(arrays["labels"][r, :n], labels[0]) and np.all(arrays["labels"][r, n:] == -100)
        assert arrays["attention_mask"][r].tolist() == [1] * n + [0] * (arrays["labels"].shape[1] - n)
    assert arrays["sample_index"].tolist() == expected_index


def test_hf_manifest_rows_are_the_collator_masks_in_sample_order(bert_model, bert_tok, tmp_path):
    samples = [t for t in EVAL_TXT.read_text(encoding="utf-8").split("\n") if t.strip()][:40]
    path = tmp_path / "hf.npz"
    fm.evaluate(bert_model, bert_tok, samples, seed=9, masking="hf", batch_size=4, save_masks=path)
    arrays, rng, r = load_npz(path), np.random.default_rng(9), 0
    for start in range(0, len(samples), 4):
        enc = bert_tok.encode_batch(samples[start:start + 4], max_length=128)
        masked, labels = fm.mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask,
                                        mask_token_id=4, vocab_size=len(bert_tok), rng=rng)
        for b in np.flatnonzero((labels != -100).any(axis=1)):
            n = int(enc.lengths[b])
            assert arrays["sample_index"][r] == start + b
            assert np.array_equal(arrays["input_ids"][r, :n], masked[b, :n])
            assert np.array_equal(arrays["labels"][r, :n], labels[b, :n])
            r += 1
    assert r == len(arrays["sample_index"])


@pytest.mark.parametrize("options", [dict(masking="per_sample"), dict(masking="hf", batch_size=5),
                                     dict(whole_word=True, seed=3), dict(special_tokens="all_special_ids", seed=8)])
def test_replaying_a_manifest_reproduces_the_report_exactly(bert_model, bert_tok, tmp_path, options):
    path = tmp_path / "m.npz"
    first = fm.evaluate(bert_model, bert_tok, EVAL_TXT, save_masks=path, return_tokens=True, **options)
    again = fm.evaluate(bert_model, bert_tok, EVAL_TXT, masks=path, return_tokens=True)
    assert _figures(again).keys() == _figures(first).keys()
    for key, value in _figures(first).items():
        assert _figures(again)[key] == value, key
    assert again.settings == {**first.settings, "masks_file": str(path), "masks_sha256": sha256(path)}


def test_replay_of_a_list_of_texts_needs_the_same_list(bert_model, bert_tok, tmp_path):
    texts = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:30]
    path = tmp_path / "m.npz"
    first = fm.evaluate(bert_model, bert_tok, texts, seed=1, save_masks=path)
    assert json.loads(str(load_npz(path)["header"]))["data_sha256"] == hashlib.sha256(
        "".join(t + "\n" for t in texts).encode()).hexdigest()
    assert fm.evaluate(bert_model, bert_tok, texts, masks=path).cross_entropy == first.cross_entropy
    with pytest.raises(fm.MaskingError, match="other data"):
        fm.evaluate(bert_model, bert_tok, texts[:-1] + ["another line"], masks=path)


def test_save_masks_load_masks_round_trip(saved_masks, tmp_path):
    manifest = fm.load_masks(saved_masks[1])
    copy = fm.save_masks(tmp_path / "copy", manifest)  # the name is kept as given, no ".npz" appended
    assert copy.path == str(tmp_path / "copy") and (tmp_path / "copy").is_file()
    again = fm.load_masks(tmp_path / "copy")
    assert again.header == manifest.header and again.sha256 == copy.sha256
    for key in ARRAY_KEYS:
        assert np.array_equal(getattr(again, key), getattr(manifest, key)), key


def test_a_loaded_manifest_object_replays_like_its_file(saved_masks, bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, EVAL_TXT, masks=fm.load_masks(saved_masks[1]))
    assert report.cross_entropy == saved_masks[0].cross_entropy and report.n_masked == saved_masks[0].n_masked


def test_masked_batches_replay_the_batches_of_the_saving_run(saved_masks, bert_tok):
    config = fm.MaskingConfig(seed=0, max_length=128)
    drawn = masked_batches(bert_tok, EVAL_TXT, config, counts=new_counts(), progress=False)
    replay, manifest = replay_config(None, saved_masks[1], bert_tok, EVAL_TXT)
    replayed = masked_batches(bert_tok, EVAL_TXT, replay, counts=new_counts(), progress=False, manifest=manifest)
    pairs = list(zip(drawn, replayed, strict=True))
    assert pairs
    for a, b in pairs:
        assert a.indices == b.indices and np.array_equal(a.labels, b.labels)
        assert np.array_equal(a.enc.input_ids, b.enc.input_ids)


def test_masking_arguments_give_way_to_the_manifest(saved_masks, bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, EVAL_TXT, masks=saved_masks[1], seed=7, masking="hf", batch_size=3)
    assert (report.settings["seed"], report.settings["masking"], report.settings["batch_size"]) == (0, "per_sample", 16)
    assert report.cross_entropy == saved_masks[0].cross_entropy


def test_masks_of_another_tokenizer_are_refused_naming_both_hashes(saved_masks, tmp_path):
    roberta_tok = fm.Tokenizer.from_dir(ROBERTA)
    roberta = fm.OnnxMaskedLM(ROBERTA / "model.onnx")
    ours, theirs = sha256(BERT / "tokenizer.json"), sha256(ROBERTA / "tokenizer.json")
    with pytest.raises(fm.MaskingError) as info:
        fm.evaluate(roberta, roberta_tok, EVAL_TXT, masks=saved_masks[1])
    message = str(info.value)
    assert ours in message and theirs in message and str(saved_masks[1]) in message and "tokenizer.json" in message
    assert "\n" not in message


def test_masks_of_other_data_are_refused_naming_both_hashes(saved_masks, bert_model, bert_tok, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(EVAL_TXT.read_text(encoding="utf-8").replace("cat", "dog"), encoding="utf-8")
    with pytest.raises(fm.MaskingError) as info:
        fm.evaluate(bert_model, bert_tok, other, masks=saved_masks[1])
    message = str(info.value)
    assert sha256(EVAL_TXT) in message and sha256(other) in message and str(other) in message
    assert str(saved_masks[1]) in message and "\n" not in message


def test_unhashable_data_is_checked_row_by_row(saved_masks, bert_model, bert_tok):
    lines = EVAL_TXT.read_text(encoding="utf-8").split("\n")
    same = fm.evaluate(bert_model, bert_tok, iter(lines), masks=saved_masks[1])
    assert same.cross_entropy == saved_masks[0].cross_entropy
    changed = iter([line.replace("the", "a") for line in lines])
    with pytest.raises(fm.MaskingError, match="does not fit the data"):
        fm.evaluate(bert_model, bert_tok, changed, masks=saved_masks[1])


def test_data_shorter_than_the_manifest_is_refused(saved_masks, bert_model, bert_tok):
    lines = EVAL_TXT.read_text(encoding="utf-8").split("\n")
    with pytest.raises(fm.MaskingError, match="covers 153 samples"):
        fm.evaluate(bert_model, bert_tok, iter(lines[:100]), masks=saved_masks[1])


def _broken(saved_masks, tmp_path, *, header=None, drop=None, **edits):
    original = load_npz(saved_masks[1])
    new_header = {**json.loads(str(original["header"])), **(header or {})}
    out = {k: v for k, v in original.items() if k != "header" and k != drop}
    out.update({k: edit(out[k]) for k, edit in edits.items()})
    path = tmp_path / "broken.npz"
    _write(path, new_header, out)
    return path


@pytest.mark.parametrize("change, match", [
    (dict(header=dict(format="fillmask_np.masks/2")), "format 'fillmask_np.masks/2'"),
    (dict(drop="labels"), r"lacks \['labels'\]"),
    (dict(header=dict(n_rows=3)), "do not fit n_rows=3"),
    (dict(header=dict(batch_size=16.0)), "batch_size=16.0 is not a non-negative integer"),
    (dict(sample_index=np.zeros_like), "ascending"),
    (dict(labels=lambda a: np.where(a == -100, a, 5000)), r"labels\[0, \d+\] = 5000 is not -100 nor a token id"),
    (dict(attention_mask=lambda a: a[:, ::-1]), "right padding"),
    (dict(labels=lambda a: np.where(np.arange(len(a))[:, None] == 2, -100, a)), "row 2 scores no token"),
    (dict(input_ids=lambda a: a.astype(np.float64)), "dtype float64"),
])
def test_a_malformed_manifest_is_refused_in_one_line(saved_masks, bert_model, bert_tok, tmp_path, change, match):
    path = _broken(saved_masks, tmp_path, **change)
    with pytest.raises(fm.MaskingError, match=match) as info:
        fm.evaluate(bert_model, bert_tok, EVAL_TXT, masks=path)
    assert "\n" not in str(info.value)


def test_a_header_key_missing_is_named(saved_masks, tmp_path):
    header = json.loads(str(load_npz(saved_masks[1])["header"]))
    del header["seed"]
    path = tmp_path / "noseed.npz"
    _write(path, header, {k: v for k, v in load_npz(saved_masks[1]).items() if k != "header"})
    with pytest.raises(fm.MaskingError, match=r"header lacks \['seed'\]"):
        fm.load_masks(path)


@pytest.mark.parametrize("content", [b"not a zip file", "truncated", None])
def test_a_missing_or_unreadable_masks_file_is_an_input_file_error(saved_masks, tmp_path, content):
    path = tmp_path / "masks.npz"
    if content == "truncated":
        content = saved_masks[1].read_bytes()[:-200]
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(fm.InputFileError, match="masks file"):
        fm.load_masks(path)


def test_pickled_arrays_are_refused(saved_masks, tmp_path):
    path = tmp_path / "pickled.npz"
    arrays = {k: v for k, v in load_npz(saved_masks[1]).items()}
    arrays["labels"] = np.array([{"evil": 1}], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(fm.InputFileError, match="not a readable .npz"):
        fm.load_masks(path)


def test_manifest_is_a_frozen_record():
    assert dataclasses.is_dataclass(fm.MaskManifest)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fm.MaskManifest({}, *(np.zeros(0),) * 4).path = "x"  # type: ignore[misc]
