"""pseudo_log_likelihood() / pseudo_perplexity(): hand-derived figures on toy models, budgets, per-token scores,
empty samples and the errors a user can hit (torch's figures: tests/golden/test_pll_golden.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fillmask_np as fm

from helpers import FixedLogits


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


@pytest.mark.slow
def test_results_do_not_depend_on_the_token_or_logits_budget(bert_model, bert_tok, eval_texts):
    texts = [t for t in eval_texts if t.strip()][:40]
    reference = fm.pseudo_log_likelihood(bert_model, bert_tok, texts, variant="within_word_l2r")
    for options in (dict(token_budget=37), dict(token_budget=333), dict(token_budget=10**6),
                    dict(logits_budget=1)):
        report = fm.pseudo_log_likelihood(bert_model, bert_tok, texts, variant="within_word_l2r", **options)
        assert report.per_sample == reference.per_sample, options  # ONNX Runtime: a copy's logits, whatever its run


def test_a_model_computing_every_positions_logits_gets_forwards_within_the_logits_budget_padded_to_their_own_longest_copy(
        bert_tok, eval_texts):
    vocab = len(bert_tok)
    calls = []

    class Recording(FixedLogits):
        def masked_logits(self, input_ids, attention_mask, *args, **kwargs):
            calls.append((np.asarray(input_ids).shape, int(np.asarray(attention_mask).sum(axis=1).max())))
            return super().masked_logits(input_ids, attention_mask, *args, **kwargs)

    texts = [t for t in eval_texts if t.strip()][:12]
    fm.pseudo_log_likelihood(Recording(np.zeros(vocab)), bert_tok, texts, logits_budget=40 * vocab)
    assert calls and all(rows * width * vocab <= 40 * vocab for (rows, width), _ in calls)
    assert all(width == longest for (_, width), longest in calls)  # no column of padding only


def test_per_token_scores_add_up_to_the_per_sample_pll(bert_model, bert_tok, eval_texts):
    report = fm.pseudo_log_likelihood(bert_model, bert_tok, eval_texts[:8], return_tokens=True)
    tokens = report.tokens
    sums = [math.fsum(tokens["log_prob"][tokens["sample"] == i]) for i in report.per_sample["index"]]
    assert sums == report.per_sample["pseudo_log_likelihood"]  # correctly rounded sums, bit for bit
    assert np.all(report.tokens["rank"] >= 0) and report.tokens["log_prob"].max() <= 0


def test_per_token_scores_are_left_out_unless_asked(bert_model, bert_tok, eval_texts):
    assert fm.pseudo_log_likelihood(bert_model, bert_tok, eval_texts[:2]).tokens is None


def test_empty_samples_are_skipped_and_positions_refer_to_the_source(bert_tok):
    report = fm.pseudo_log_likelihood(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a cat", "", "  ", "a dog"])
    assert (report.n_samples, report.n_empty) == (2, 2)
    assert report.per_sample["index"] == [0, 1] and report.per_sample["position"] == [0, 3]


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
