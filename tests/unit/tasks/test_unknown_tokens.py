"""Unknown tokens: every scoring verb counts the tokenizer's unknown token among the text's tokens and warns, once,
when more than 5 % of them are unknown (text the tokenizer cannot read is scored as [UNK], not as itself).

Hand-derived counts. The ESM tokenizer's vocabulary holds the upper-case residue letters, '.', '-' and specials;
it isolates each of those characters and reads the rest of a whitespace word as one <unk>. "The cat sat on the
mat." is 'T', <unk> ('he'), then one <unk> per lower-case word (cat sat on the mat) and '.': 8 text tokens, 6
unknown. The word-level copy splits on whitespace only: an unspaced sequence is one <unk>, a spaced one a
known token per residue.
"""

from __future__ import annotations

import warnings

import pytest

import fillmask_np as fm
from fillmask_np.config import UNK_SHARE_LIMIT
from fillmask_np.metrics import warn_unknown
from fillmask_np.metrics.counts import new_counts, unknown_share
from fillmask_np.runtime import open_model
from fillmask_np.tokenization import count_unknown

from helpers.protein import ESM, PROTEIN_TXT, word_level_protein

ENGLISH = "The cat sat on the mat."  # ESM: 8 text tokens, 6 unknown (see the module docstring)


@pytest.fixture(scope="module")
def esm():
    return fm.OnnxMaskedLM(ESM / "model.onnx"), fm.Tokenizer.from_dir(ESM)


def test_the_esm_tokenizer_reads_english_as_six_unknown_of_eight_text_tokens(esm):
    _, tok = esm
    assert count_unknown(tok, tok.encode_rows([ENGLISH])) == (6, 8)
    assert count_unknown(tok, tok.encode_rows([ENGLISH], special_tokens="all_special_ids")) == (6, 8)


def test_special_tokens_are_not_text_tokens(bert_tok):
    # [CLS] the [MASK] sat [SEP]: the template's tokens and the mask are special, 'the' and 'sat' are text
    assert count_unknown(bert_tok, bert_tok.encode_rows(["the [MASK] sat"])) == (0, 2)


def test_a_character_outside_the_wordpiece_vocabulary_is_one_unknown_token(bert_tok):
    assert count_unknown(bert_tok, bert_tok.encode_rows(["the cat \u2603"])) == (1, 3)  # the snowman is [UNK]


def test_an_unspaced_sequence_is_one_unknown_word_for_a_word_level_tokenizer(tmp_path):
    tok = fm.Tokenizer.from_dir(word_level_protein(tmp_path))
    assert count_unknown(tok, tok.encode_rows(["MKTAYIAKQR", "M K T A"])) == (1, 5)


def test_evaluate_counts_unknown_tokens_and_warns_with_their_share(esm):
    model, tok = esm
    with pytest.warns(fm.UnknownTokensWarning, match=r"18 of 24 text tokens \(75\.0 %\)") as caught:
        report = fm.evaluate(model, tok, [ENGLISH] * 3, seed=0)
    assert len(caught) == 1 and "alphabet" in str(caught[0].message)
    assert caught[0].filename == __file__  # it names the user's call, not a line of the library
    assert (report.unk_tokens, report.text_tokens) == (18, 24)
    assert report.to_dict()["unk_tokens"] == 18 and report.to_dict()["text_tokens"] == 24


def test_the_model_s_own_text_has_no_unknown_token_and_no_warning(esm):
    model, tok = esm
    with warnings.catch_warnings():
        warnings.simplefilter("error", fm.FillMaskWarning)
        report = fm.evaluate(model, tok, PROTEIN_TXT, seed=0, limit=20)
    assert report.n_truncated == 0 and report.unk_tokens == 0
    assert report.text_tokens == report.n_tokens - 2 * report.n_samples  # all but <cls> and <eos> of each sample


def test_pseudo_log_likelihood_counts_and_warns_as_evaluate(esm):
    model, tok = esm
    with pytest.warns(fm.UnknownTokensWarning, match=r"6 of 8 text tokens") as caught:
        report = fm.pseudo_log_likelihood(model, tok, [ENGLISH])
    assert len(caught) == 1 and (report.unk_tokens, report.text_tokens) == (6, 8)


def test_compare_warns_once_for_the_tokens_both_models_read(esm):
    model, tok = esm
    with pytest.warns(fm.UnknownTokensWarning) as caught:
        report = fm.compare(model, open_model(ESM, backend="numpy"), tok, [ENGLISH] * 3, seed=0)  # its checkpoint
    assert len(caught) == 1
    assert (report.candidate.unk_tokens, report.reference.unk_tokens, report.candidate.text_tokens) == (18, 18, 24)
    assert report.provenance["unk_tokens"] == 18


def test_merged_shards_add_their_unknown_counts(esm, tmp_path):
    model, tok = esm
    texts = [ENGLISH, "M K T A", ENGLISH, "MKTA"]  # the spaced and unspaced residues are all known
    paths = [tmp_path / f"part{i}.json" for i in range(2)]
    with pytest.warns(fm.UnknownTokensWarning):
        whole = fm.evaluate(model, tok, texts, seed=0)
        for i, path in enumerate(paths):
            fm.evaluate(model, tok, texts, seed=0, shard=(i, 2), partial=path)
    with pytest.warns(fm.UnknownTokensWarning) as caught:
        merged = fm.merge(paths)
    assert len(caught) == 1
    assert (merged.unk_tokens, merged.text_tokens) == (whole.unk_tokens, whole.text_tokens) == (12, 24)


def test_the_bound_is_inclusive_five_percent():
    assert UNK_SHARE_LIMIT == 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_unknown({**new_counts(), "unk_tokens": 5, "text_tokens": 100}) is False
    with pytest.warns(fm.UnknownTokensWarning, match=r"6 of 100 text tokens \(6\.0 %\)"):
        assert warn_unknown({**new_counts(), "unk_tokens": 6, "text_tokens": 100}) is True


def test_no_text_token_is_a_share_of_zero():
    assert unknown_share(new_counts()) == 0.0


def test_the_html_report_shows_the_unknown_tokens(esm, tmp_path):
    model, tok = esm
    with pytest.warns(fm.UnknownTokensWarning):
        report = fm.evaluate(model, tok, [ENGLISH] * 3, seed=0, return_tokens=True, return_top5=True)
    page = fm.render_html(report, tmp_path / "r.html", tokenizer=tok, texts=[ENGLISH] * 3).read_text("utf-8")
    assert 'data-metric="unk_tokens" data-value="18"' in page and "of 24 text tokens" in page


def test_fill_mask_warns_about_an_unknown_prompt(tmp_path):
    directory = word_level_protein(tmp_path)
    model, tok = fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)
    with pytest.warns(fm.UnknownTokensWarning, match=r"1 of 1 text tokens \(100\.0 %\)"):
        fm.fill_mask(model, tok, "MKTAYIAKQR <mask>")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fm.FillMaskWarning)
        fm.fill_mask(model, tok, "M K T A <mask>")
