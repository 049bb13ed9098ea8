"""Pseudo-log-likelihood: torch's figures (golden manifest "pll"), hand-derived math on toy models, packing, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from fillmask_np.masking import Sample, mask_matrix, pack
from fillmask_np.cli import main

from helpers import CountsMasks, FixedLogits, GOLDEN, load_manifest

PLL_MODELS = sorted(load_manifest().get("pll", {}))
VARIANTS = ("original", "within_word_l2r")
_LOADED: dict[str, tuple] = {}


def _golden(name: str) -> tuple[dict, dict[str, np.ndarray], list[str], fm.OnnxMaskedLM, fm.Tokenizer]:
    """The manifest entry, the npz, the texts and the loaded model and tokenizer of one pll model."""
    if name not in _LOADED:
        entry = load_manifest()["pll"][name]
        with np.load(GOLDEN / entry["file"], allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        lines = (GOLDEN / entry["text_file"]).read_text(encoding="utf-8").split("\n")
        texts = [lines[i].removesuffix("\r") for i in arrays["line_index"]]
        directory = GOLDEN / "models" / name
        _LOADED[name] = (entry, arrays, texts, fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory))
    return _LOADED[name]


def test_the_golden_manifest_has_a_pll_reference_for_every_model(manifest):
    assert set(manifest.get("pll", {})) == set(manifest["models"])


@pytest.mark.parametrize("name", PLL_MODELS)
def test_golden_pll_file_has_the_documented_keys_shapes_and_dtypes(name):
    entry, arrays, texts, _, _ = _golden(name)
    per_variant = {f"{v}_{k}" for v in VARIANTS for k in ("token_log_prob", "pll", "n_scored")}
    assert set(arrays) == {"line_index", "row_splits", "input_ids", "special_tokens_mask", "word_ids"} | per_variant
    n, n_tokens = entry["n_samples"], int(arrays["row_splits"][-1])
    assert arrays["line_index"].shape == (n,) and arrays["row_splits"].shape == (n + 1,) and len(texts) == n
    for key in ("input_ids", "special_tokens_mask", "word_ids") + tuple(f"{v}_token_log_prob" for v in VARIANTS):
        assert arrays[key].shape == (n_tokens,), key
    for v in VARIANTS:
        assert arrays[f"{v}_pll"].shape == arrays[f"{v}_n_scored"].shape == (n,)
        assert arrays[f"{v}_pll"].dtype == arrays[f"{v}_token_log_prob"].dtype == np.float64
        assert arrays[f"{v}_n_scored"].dtype == np.int64
    assert all(arrays[k].dtype == np.int64 for k in ("line_index", "row_splits", "input_ids", "word_ids"))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", PLL_MODELS)
def test_pll_matches_torch_per_sample_per_token_and_for_the_corpus(name, variant, manifest):
    entry, arrays, texts, model, tok = _golden(name)
    report = fm.pseudo_log_likelihood(model, tok, texts, variant=variant, max_length=entry["max_length"],
                                      return_tokens=True)
    rtol, atol = manifest["tolerances"]["loss_rtol_ort_logits"], manifest["tolerances"]["ort_logits_atol"]
    assert report.variant == variant and report.settings["variant"] == variant
    assert report.per_sample["index"] == list(range(entry["n_samples"]))
    assert report.per_sample["n_scored_tokens"] == arrays[f"{variant}_n_scored"].tolist()
    np.testing.assert_allclose(report.per_sample["pseudo_log_likelihood"], arrays[f"{variant}_pll"], rtol=rtol)
    figures = entry["variants"][variant]
    assert report.n_scored_tokens == figures["n_scored_tokens"]
    assert report.pseudo_perplexity == pytest.approx(figures["pseudo_perplexity"], rel=rtol)
    assert report.pseudo_log_likelihood == pytest.approx(figures["pseudo_log_likelihood"], rel=rtol)
    # per token: the library's (sample, position) are the reference's scored positions, in order
    starts = arrays["row_splits"][:-1]
    flat = starts[report.tokens["sample"]] + report.tokens["position"]
    np.testing.assert_array_equal(flat, np.flatnonzero(arrays["special_tokens_mask"] == 0))
    np.testing.assert_array_equal(report.tokens["token_id"], arrays["input_ids"][flat])
    np.testing.assert_allclose(report.tokens["log_prob"], arrays[f"{variant}_token_log_prob"][flat], rtol=0,
                               atol=2 * atol)


@pytest.mark.parametrize("name", PLL_MODELS)
def test_word_grouping_equals_hugging_face_word_ids(name, manifest):
    entry, arrays, texts, _, tok = _golden(name)
    directory, kind = GOLDEN / "models" / name, manifest["models"][name]["tokenizer_kind"]
    tokenizers = {"tokenizer.json": tok}
    if kind == "wordpiece":
        tokenizers["vocab.txt (WordPiece)"] = fm.Tokenizer.from_wordpiece(directory / "vocab.txt")
    if kind == "bpe" and (directory / "vocab.json").is_file():
        tokenizers["vocab.json + merges.txt (BPE)"] = fm.Tokenizer.from_bpe(directory / "vocab.json",
                                                                             directory / "merges.txt")
    for source, tokenizer in tokenizers.items():
        rows = tokenizer.encode_rows(texts, max_length=entry["max_length"], word_ids=True)
        np.testing.assert_array_equal(np.concatenate([r.ids for r in rows]), arrays["input_ids"], err_msg=source)
        np.testing.assert_array_equal(np.concatenate([r.word_ids for r in rows]), arrays["word_ids"], err_msg=source)


@pytest.mark.parametrize("name", [n for n in PLL_MODELS if n in ("bert", "roberta")])
def test_the_golden_texts_have_multi_piece_words_so_that_the_variants_differ(name):
    entry, arrays, _, _, _ = _golden(name)
    words = arrays["word_ids"]
    assert np.any((words[1:] == words[:-1]) & (words[1:] >= 0))
    l2r = entry["variants"]["within_word_l2r"]
    assert l2r["n_masked_positions"] > l2r["n_scored_tokens"]


# ----------------------------------------------------------------------------- toy models, hand-derived math
def test_a_uniform_model_has_the_vocabulary_size_as_pseudo_perplexity(bert_tok, eval_texts):
    vocab = len(bert_tok)
    report = fm.pseudo_perplexity(FixedLogits(np.zeros(vocab)), bert_tok, eval_texts[:10])
    assert report.pseudo_perplexity == pytest.approx(vocab, rel=1e-12)
    assert report.pseudo_log_likelihood == pytest.approx(-report.n_scored_tokens * math.log(vocab), rel=1e-12)


def test_pll_is_the_sum_of_log_p_over_the_non_special_tokens(bert_tok, eval_texts):
    probs = np.random.default_rng(7).dirichlet(np.ones(len(bert_tok)))
    texts = eval_texts[:6]
    report = fm.pseudo_log_likelihood(FixedLogits(np.log(probs)), bert_tok, texts)
    log_p = np.log(probs.astype(np.float32).astype(np.float64))
    log_p -= math.log(np.exp(log_p).sum())  # the model's float32 logits, renormalized
    rows = bert_tok.encode_rows(texts)
    expected = [float(np.sum(log_p[r.ids[r.special_tokens_mask == 0]])) for r in rows]  # all but [CLS], [SEP]
    np.testing.assert_allclose(report.per_sample["pseudo_log_likelihood"], expected, rtol=1e-6)
    n = sum(int(np.sum(r.special_tokens_mask == 0)) for r in rows)
    assert report.pseudo_perplexity == pytest.approx(math.exp(-sum(expected) / n), rel=1e-6)


def _masks_per_copy(arrays: dict[str, np.ndarray], variant: str) -> np.ndarray:
    """Mask tokens in the copy of each scored token, from the reference's HF word ids (specials: -1)."""
    counts = []
    for start, stop in zip(arrays["row_splits"][:-1], arrays["row_splits"][1:]):
        words, special = arrays["word_ids"][start:stop], arrays["special_tokens_mask"][start:stop]
        for p in np.flatnonzero(special == 0):
            later = (np.arange(len(words)) > p) & (words == words[p]) & (words[p] >= 0)
            counts.append(1 + int(later.sum()) if variant == "within_word_l2r" else 1)
    return np.array(counts, dtype=np.float64)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", [n for n in PLL_MODELS if n in ("bert", "roberta")])
def test_each_copy_masks_its_token_and_for_l2r_the_later_pieces_of_its_word(name, variant):
    entry, arrays, texts, _, tok = _golden(name)
    vocab = len(tok)
    report = fm.pseudo_log_likelihood(CountsMasks(vocab, tok.mask_token_id), tok, texts, variant=variant,
                                      max_length=entry["max_length"], return_tokens=True)
    expected = -np.log(vocab - 1 + np.exp(_masks_per_copy(arrays, variant)))  # log P(t) with k masks in the copy
    np.testing.assert_allclose(report.tokens["log_prob"], expected, rtol=1e-6)


def test_results_do_not_depend_on_the_token_or_logits_budget(bert_model, bert_tok, eval_texts):
    texts = [t for t in eval_texts if t.strip()][:40]
    reference = fm.pseudo_log_likelihood(bert_model, bert_tok, texts, variant="within_word_l2r")
    for options in (dict(token_budget=37), dict(token_budget=333), dict(token_budget=10**6),
                    dict(logits_budget=1)):
        report = fm.pseudo_log_likelihood(bert_model, bert_tok, texts, variant="within_word_l2r", **options)
        assert report.per_sample["n_scored_tokens"] == reference.per_sample["n_scored_tokens"]
        np.testing.assert_allclose(report.per_sample["pseudo_log_likelihood"],
                                   reference.per_sample["pseudo_log_likelihood"], rtol=1e-6, err_msg=str(options))


def test_per_token_scores_add_up_to_the_per_sample_pll(bert_model, bert_tok, eval_texts):
    report = fm.pseudo_log_likelihood(bert_model, bert_tok, eval_texts[:8], return_tokens=True)
    sums = np.bincount(report.tokens["sample"], weights=report.tokens["log_prob"])
    np.testing.assert_allclose(sums, report.per_sample["pseudo_log_likelihood"], rtol=1e-12)
    assert np.all(report.tokens["rank"] >= 0) and report.tokens["log_prob"].max() <= 0
    assert fm.pseudo_log_likelihood(bert_model, bert_tok, eval_texts[:2]).tokens is None


def test_empty_samples_are_skipped_and_positions_refer_to_the_source(bert_tok):
    report = fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a cat", "", "  ", "a dog"])
    assert (report.n_samples, report.n_empty) == (2, 2)
    assert report.per_sample["index"] == [0, 1] and report.per_sample["position"] == [0, 3]


def test_the_report_names_its_variant_and_is_json_ready(bert_tok):
    report = fm.pseudo_perplexity(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a cat"], variant="within_word_l2r",
                                  return_tokens=True)
    out = json.loads(json.dumps(report.to_dict()))
    assert out["variant"] == out["settings"]["variant"] == "within_word_l2r"
    assert out["tokens"]["token_id"] == report.tokens["token_id"].tolist()


# ----------------------------------------------------------------------------- packing
def test_mask_matrix_original_masks_exactly_the_target():
    masked = mask_matrix(np.array([1, 2, 3]), 5, None)
    np.testing.assert_array_equal(masked, np.eye(5, dtype=bool)[[1, 2, 3]])


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(3, 12), min_size=1, max_size=6), budget=st.integers(1, 60),
       l2r=st.booleans(), seed=st.integers(0, 2**16))
def test_pack_emits_every_copy_once_within_the_budget(lengths, budget, l2r, seed):
    rng = np.random.default_rng(seed)
    samples = []
    for index, length in enumerate(sorted(lengths)):
        ids = rng.integers(10, 50, size=length)
        words = np.sort(rng.integers(0, length, size=length)) if l2r else None
        if words is not None:
            words[[0, -1]] = -1
        samples.append(Sample(index, ids, np.zeros(length, dtype=np.int64), np.arange(1, length - 1), words))
    seen = []
    for batch in pack(samples, mask_token_id=1, pad_token_id=0, token_budget=budget):
        rows, width = batch.input_ids.shape
        assert rows == 1 or rows * width <= budget
        for r, (sample_index, position) in enumerate(zip(batch.samples, batch.positions[:, 1])):
            sample = samples[sample_index]
            length = len(sample.ids)
            expected = sample.ids.copy()
            expected[mask_matrix(np.array([position]), length, sample.words)[0]] = 1
            np.testing.assert_array_equal(batch.input_ids[r, :length], expected)
            assert batch.attention_mask[r].sum() == length and batch.labels[r] == sample.ids[position]
            seen.append((int(sample_index), int(position)))
    assert sorted(seen) == [(s.index, int(p)) for s in samples for p in s.targets]


# ----------------------------------------------------------------------------- bad input
def test_an_unknown_variant_is_refused_with_the_choices(bert_tok):
    with pytest.raises(fm.MaskingError, match=r"variant='l2r'.*'within_word_l2r'"):
        fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a"], variant="l2r")


def test_data_without_a_non_empty_sample_is_refused(bert_tok):
    with pytest.raises(fm.DataError, match="no non-empty sample"):
        fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["", "   "])


def test_data_without_a_scorable_token_is_refused(bert_tok):
    with pytest.raises(fm.DataError, match="no token to score in 2 samples"):
        fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["[MASK]", "[UNK] [MASK]"],
                                 special_tokens="all_special_ids")


@pytest.mark.parametrize("option", [dict(token_budget=0), dict(logits_budget=-1), dict(limit=0),
                                    dict(special_tokens="none")])
def test_bad_options_are_one_line_errors_naming_the_value(bert_tok, option):
    (key, value), = option.items()
    with pytest.raises(fm.FillMaskError, match=repr(value)):
        fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a"], **option)


# ----------------------------------------------------------------------------- command line
def test_cli_json_carries_the_figures_variant_and_provenance(capsys, bert_dir, eval_texts):
    assert main(["pppl", "--variant", "within_word_l2r", "--limit", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = fm.pseudo_perplexity(fm.OnnxMaskedLM(bert_dir), fm.Tokenizer.from_dir(bert_dir), eval_texts,
                                    variant="within_word_l2r", limit=5)
    assert out["pseudo_perplexity"] == pytest.approx(expected.pseudo_perplexity, rel=1e-12)
    assert out["variant"] == out["provenance"]["variant"] == "within_word_l2r"
    provenance = out["provenance"]
    assert len(provenance["model"]["sha256"]) == len(provenance["tokenizer"]["sha256"]) == 64
    assert len(provenance["data"]["sha256"]) == 64 and provenance["onnxruntime"]
    assert provenance["model"]["opsets"] and provenance["counts"]["n_scored_tokens"] == expected.n_scored_tokens


def test_cli_table_names_the_variant_and_the_pppl(capsys):
    assert main(["pppl", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "original" in out and "PPPL" in out and "scored tokens" in out


def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["pppl", "--data", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1
