"""evaluate(): per-sample, HF and whole-word masking against by-hand references, counts, streaming, bounded
memory, special-token policies and the errors a user can hit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import fillmask_np as fm

from helpers import FakeMaskedLM, GOLDEN

TEXTS = [line for line in (GOLDEN / "text" / "eval.txt").read_text(encoding="utf-8").split("\n")][:40]


def _reference_per_sample(model, tok, texts, seed):
    """Mask the i-th non-empty sample alone with default_rng([seed, i]), run it alone, sum the NLL by hand."""
    nll, count = 0.0, 0
    for i, text in enumerate(t for t in texts if t.strip()):
        enc = tok.encode_batch([text], max_length=128)
        masked, labels = fm.mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask,
                                        mask_token_id=tok.mask_token_id, vocab_size=len(tok),
                                        rng=np.random.default_rng([seed, i]))
        if (labels != -100).any():
            logits = model(masked, enc.attention_mask, enc.token_type_ids)
            nll += fm.cross_entropy(logits, labels, reduction="sum")
            count += int((labels != -100).sum())
    return nll / count, count


def test_per_sample_masking_matches_a_sample_by_sample_reference(bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, TEXTS, seed=3, max_length=128)
    ce, count = _reference_per_sample(bert_model, bert_tok, TEXTS, seed=3)
    assert report.n_masked == count
    assert report.cross_entropy == pytest.approx(ce, rel=1e-6)
    assert report.perplexity == pytest.approx(math.exp(ce), rel=1e-6)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_per_sample_results_do_not_depend_on_batch_size(bert_model, bert_tok, batch_size):
    base = fm.evaluate(bert_model, bert_tok, TEXTS, seed=1, batch_size=8)
    other = fm.evaluate(bert_model, bert_tok, TEXTS, seed=1, batch_size=batch_size)
    assert other.n_masked == base.n_masked
    assert other.cross_entropy == base.cross_entropy  # the docs (verbs/eval.md): results do not change with batch size
    assert other.top1_accuracy == base.top1_accuracy and other.top5_accuracy == base.top5_accuracy
    assert other.per_sample == base.per_sample


def test_hf_masking_replays_the_collator_batch_by_batch(bert_model, bert_tok):
    texts = [t for t in TEXTS if t.strip()]
    rng, nll, count = np.random.default_rng(9), 0.0, 0
    for start in range(0, len(texts), 4):
        enc = bert_tok.encode_batch(texts[start:start + 4], max_length=128)
        masked, labels = fm.mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask,
                                        mask_token_id=bert_tok.mask_token_id, vocab_size=len(bert_tok), rng=rng)
        nll += fm.cross_entropy(bert_model(masked, enc.attention_mask, enc.token_type_ids), labels, reduction="sum")
        count += int((labels != -100).sum())
    report = fm.evaluate(bert_model, bert_tok, texts, seed=9, masking="hf", batch_size=4, max_length=128)
    assert report.n_masked == count
    assert report.cross_entropy == pytest.approx(nll / count, rel=1e-6)


def test_top1_accuracy_is_at_most_top5_accuracy_and_both_are_fractions(bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, TEXTS, seed=0)
    assert 0.0 <= report.top1_accuracy <= report.top5_accuracy <= 1.0


def test_empty_unmaskable_and_truncated_samples_are_counted(bert_model, bert_tok):
    long_text = " ".join(["the cat sat on the mat"] * 20)
    texts = ["the cat sat on the mat", "", "   ", "\x07", long_text]
    report = fm.evaluate(bert_model, bert_tok, texts, seed=0, max_length=16, mlm_probability=1.0)
    assert (report.n_samples, report.n_empty, report.n_unmaskable, report.n_truncated) == (3, 2, 1, 1)
    assert report.n_masked == 6 + 14  # every maskable token, the long one cut to 16 with [CLS]/[SEP]
    assert report.per_sample["index"] == [0, 2]  # i-th non-empty sample
    assert report.per_sample["position"] == [0, 4]  # where it stands in the input


def test_a_corpus_is_streamed_not_loaded(bert_model, bert_tok):
    endless = itertools.cycle(["the dog runs in the park"])
    report = fm.evaluate(bert_model, bert_tok, endless, limit=5, mlm_probability=0.5)
    assert report.n_samples == 5


def test_jsonl_text_field_is_read(bert_model, bert_tok, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"body": "the cat sat on the mat"}\n{"body": "a dog ran home"}\n')
    report = fm.evaluate(bert_model, bert_tok, path, text_field="body", mlm_probability=1.0)
    assert report.n_samples == 2 and report.n_masked > 0


def test_an_empty_dataset_is_refused(bert_model, bert_tok):
    with pytest.raises(fm.DataError, match="no non-empty sample"):
        fm.evaluate(bert_model, bert_tok, ["", "  "])


def test_a_tokenizer_larger_than_the_model_vocabulary_is_refused(bert_model, tmp_path):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(bert_model.vocab_size)]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    big = fm.Tokenizer.from_wordpiece(tmp_path / "vocab.txt")
    with pytest.raises(fm.TokenizerError, match=f"{bert_model.vocab_size} entries .* {len(vocab)}"):
        fm.evaluate(bert_model, big, TEXTS)


def test_nan_logits_raise_with_their_count(bert_tok):
    class NaNAtSeven(FakeMaskedLM):
        def logits(self, input_ids):
            logits = np.zeros(input_ids.shape + (len(bert_tok),), dtype=np.float32)  # [B, L, V]
            logits[..., 7] = np.nan
            return logits

    broken_model = NaNAtSeven(len(bert_tok))

    with pytest.raises(fm.NumericsError, match=r"\d+ NaN and 0 inf"):
        fm.evaluate(broken_model, bert_tok, ["the cat sat on the mat"], mlm_probability=1.0)


@pytest.mark.parametrize("kwargs, error", [
    (dict(mlm_probability=0.0), fm.MaskingError),
    (dict(mask_replace_prob=0.9, random_replace_prob=0.2), fm.MaskingError),
    (dict(masking="torch"), fm.FillMaskError),
    (dict(batch_size=0), fm.FillMaskError),
    (dict(seed=-1), fm.MaskingError),
    (dict(seed=1.5), fm.MaskingError),
    (dict(limit=0), fm.FillMaskError),
])
def test_invalid_settings_are_refused_before_any_work(bert_model, bert_tok, kwargs, error):
    with pytest.raises(error):
        fm.evaluate(bert_model, bert_tok, TEXTS, **kwargs)


@pytest.mark.parametrize("masking", ["per_sample", "hf"])
def test_splitting_batches_by_the_logits_budget_does_not_change_results(bert_model, bert_tok, masking):
    whole = fm.evaluate(bert_model, bert_tok, TEXTS, seed=4, masking=masking, batch_size=8, logits_budget=1 << 40)
    one_row = fm.evaluate(bert_model, bert_tok, TEXTS, seed=4, masking=masking, batch_size=8, logits_budget=1)
    assert one_row.n_masked == whole.n_masked
    assert one_row.cross_entropy == whole.cross_entropy  # the same rows, in passes of another size
    assert one_row.per_sample == whole.per_sample


def test_progress_is_drawn_on_stderr_when_asked(bert_model, bert_tok, capsys):
    fm.evaluate(bert_model, bert_tok, TEXTS, progress=True)
    err = capsys.readouterr().err
    n = sum(1 for t in TEXTS if t.strip())
    assert f"{n}/{n} " in err and "sample/s" in err and "tokens/s" in err  # done / total, rates


def test_progress_is_silent_when_stderr_is_not_a_terminal(bert_model, bert_tok, capsys):
    fm.evaluate(bert_model, bert_tok, TEXTS)
    assert capsys.readouterr().err == ""


def test_a_max_length_beyond_the_position_embeddings_is_refused_before_any_work(bert_model, bert_tok):
    long_text = " ".join(["the cat sat on the mat"] * 40)  # ~240 tokens; the golden BERT has 128 positions
    with pytest.raises(fm.ModelError, match=r"max_length=512 exceeds the limit of model .* \(128 tokens.*<= 128"):
        fm.evaluate(bert_model, bert_tok, [long_text], max_length=512)


def test_a_fixed_shape_int32_graph_evaluates_exactly_like_a_dynamic_int64_one(bert_tok, tmp_path):
    from helpers.onnx_graphs import TensorProto, lookup_model

    table = np.random.default_rng(2).normal(size=(len(bert_tok), len(bert_tok))).astype(np.float32)
    dynamic = fm.OnnxMaskedLM(lookup_model(tmp_path / "dynamic.onnx", table))
    fixed = fm.OnnxMaskedLM(lookup_model(tmp_path / "fixed.onnx", table, batch=4, length=64,
                                         int_type=TensorProto.INT32))
    expected = fm.evaluate(dynamic, bert_tok, TEXTS, seed=5, batch_size=6, max_length=64)
    report = fm.evaluate(fixed, bert_tok, TEXTS, seed=5, batch_size=6)  # max_length comes from the graph
    assert report.settings["max_length"] == 64
    assert report.n_masked == expected.n_masked
    assert report.cross_entropy == expected.cross_entropy and report.per_sample == expected.per_sample


@pytest.mark.slow
def test_memory_is_bounded_by_the_batch_not_the_corpus(bert_model, bert_tok):
    import tracemalloc

    lines = [t for t in TEXTS if t.strip()]

    def peak_bytes(repeats: int) -> int:
        stream = (line for _ in range(repeats) for line in lines)  # never materialised as a list
        tracemalloc.start()
        try:
            fm.evaluate(bert_model, bert_tok, stream, batch_size=8)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_bytes(5), peak_bytes(50)  # ~185 vs ~1850 samples
    assert large < 1.5 * small + 1_000_000  # only a few numbers per sample are kept


def test_whole_word_evaluation_matches_a_sample_by_sample_reference(bert_model, bert_tok):
    nll, count = 0.0, 0
    for i, text in enumerate(t for t in TEXTS if t.strip()):
        enc = bert_tok.encode_batch([text], max_length=128)
        masked, labels = fm.mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask,
                                        mask_token_id=bert_tok.mask_token_id, vocab_size=len(bert_tok),
                                        rng=np.random.default_rng([4, i]), mask_replace_prob=1.0,
                                        random_replace_prob=0.0, whole_word=True, offsets=enc.offsets)
        if (labels != -100).any():
            nll += fm.cross_entropy(bert_model(masked, enc.attention_mask), labels, reduction="sum")
            count += int((labels != -100).sum())
    report = fm.evaluate(bert_model, bert_tok, TEXTS, seed=4, whole_word=True, max_length=128)
    assert report.n_masked == count
    assert report.cross_entropy == pytest.approx(nll / count, rel=1e-6)
    s = report.settings
    assert (s["whole_word"], s["mask_replace_prob"], s["random_replace_prob"]) == (True, 1.0, 0.0)


@pytest.mark.parametrize("masking", ["per_sample", "hf"])
def test_all_special_ids_policy_never_scores_a_typed_mask_or_unk(bert_model, bert_tok, masking):
    texts = ["the [MASK] sat on \u263a.", "a [MASK] dog"]  # 4 + 2 ordinary tokens, 3 in-text specials
    template = fm.evaluate(bert_model, bert_tok, texts, mlm_probability=1.0, masking=masking)
    strict = fm.evaluate(bert_model, bert_tok, texts, mlm_probability=1.0, masking=masking,
                         special_tokens="all_special_ids")
    assert (template.n_masked, strict.n_masked) == (9, 6)
    assert strict.settings["special_tokens"] == "all_special_ids"


@pytest.mark.parametrize("kwargs", [dict(mask_replace_prob=0.8), dict(random_replace_prob=0.1)])
def test_whole_word_refuses_other_replacement_shares(bert_model, bert_tok, kwargs):
    with pytest.raises(fm.FillMaskError, match="whole-word masking replaces every selected token"):
        fm.evaluate(bert_model, bert_tok, TEXTS, whole_word=True, **kwargs)


def test_an_unknown_special_token_policy_is_refused_before_any_work(bert_model, bert_tok):
    with pytest.raises(fm.TokenizerError, match="special_tokens='template_ids'"):
        fm.evaluate(bert_model, bert_tok, TEXTS, special_tokens="template_ids")
