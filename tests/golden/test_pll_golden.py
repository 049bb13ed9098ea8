"""Pseudo-log-likelihood against torch's figures (the golden manifest's "pll" section): per sample, per token and
for the corpus, both variants, with Hugging Face's word ids grouping the pieces."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import CountsMasks, GOLDEN, load_golden, load_manifest, load_npz

pytestmark = pytest.mark.golden

PLL_MODELS = sorted(load_manifest().get("pll", {}))
VARIANTS = ("original", "within_word_l2r")
_LOADED: dict[str, tuple] = {}


def _golden(name: str) -> tuple[dict, dict[str, np.ndarray], list[str], fm.OnnxMaskedLM, fm.Tokenizer]:
    """The manifest entry, the npz, the texts and the loaded model and tokenizer of one pll model."""
    if name not in _LOADED:
        entry = load_manifest()["pll"][name]
        arrays = load_npz(GOLDEN / entry["file"])
        lines = (GOLDEN / entry["text_file"]).read_text(encoding="utf-8").split("\n")
        texts = [lines[i].removesuffix("\r") for i in arrays["line_index"]]
        _LOADED[name] = (entry, arrays, texts, *load_golden(name))
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
