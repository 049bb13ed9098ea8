"""Per-token records (evaluate(return_tokens=True)) and the worst tokens (worst=N): their columns, how they add
up to the report's figures, the logits they follow, and the context they show (the CLI's --worst and --tokens:
tests/cli/test_cli_tokens.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.metrics.records import COLUMNS, mark_target

from helpers import EVAL_TXT, GOLDEN

TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:60]


@pytest.fixture(scope="module")
def records(bert_model, bert_tok):
    return fm.evaluate(bert_model, bert_tok, TEXTS, seed=2, return_tokens=True, worst=7)


@pytest.fixture(scope="module")
def lookup(bert_tok, tmp_path_factory):
    """A model whose logits at a token are table[token], so every figure can be derived by hand."""
    from helpers.onnx_graphs import lookup_model

    table = np.random.default_rng(11).normal(scale=3.0, size=(len(bert_tok), len(bert_tok))).astype(np.float32)
    return table, fm.OnnxMaskedLM(lookup_model(tmp_path_factory.mktemp("lookup") / "m.onnx", table))


def test_token_records_have_every_column_one_row_per_masked_token(records):
    assert set(records.tokens) == set(COLUMNS)
    for key, column in records.tokens.items():
        assert column.shape == (records.n_masked,), key
        assert column.dtype == (np.float64 if key == "loss" else np.int64), key


def test_mean_token_loss_is_the_cross_entropy(records):
    assert math.fsum(records.tokens["loss"]) / records.n_masked == records.cross_entropy  # correctly rounded sums


def test_token_ranks_count_the_top1_and_top5_hits(records):
    rank = records.tokens["rank"]
    assert np.count_nonzero(rank < 1) == round(records.top1_accuracy * records.n_masked)
    assert np.count_nonzero(rank < 5) == round(records.top5_accuracy * records.n_masked)
    assert np.all((rank == 0) == (records.tokens["top_id"] == records.tokens["label"]))


def test_token_records_are_sorted_by_sample_then_position(records):
    key = records.tokens["sample"] * 10_000 + records.tokens["position"]
    assert np.all(np.diff(key) > 0)


def test_token_records_add_up_to_the_per_sample_figures(records):
    t = records.tokens
    samples, counts = np.unique(t["sample"], return_counts=True)
    assert samples.tolist() == records.per_sample["index"] and counts.tolist() == records.per_sample["n_masked"]
    means = [math.fsum(t["loss"][t["sample"] == s]) / n for s, n in zip(samples, counts)]
    assert means == records.per_sample["cross_entropy"]  # correctly rounded sums, bit for bit


def test_token_labels_are_the_sample_tokens_and_inputs_what_the_model_saw(records, bert_tok):
    samples = [t for t in TEXTS if t.strip()]
    t = records.tokens
    for j in range(len(t["loss"])):
        ids = bert_tok.encode_rows([samples[t["sample"][j]]], max_length=128)[0].ids
        assert t["label"][j] == ids[t["position"][j]]
    # 80 % mask / 10 % random / 10 % kept: the model saw the mask token at most of them
    assert 0.6 < np.mean(t["input_id"] == bert_tok.mask_token_id) < 0.95


def test_token_loss_rank_and_top_id_follow_the_logits_by_hand(lookup, bert_tok):
    table, model = lookup
    report = fm.evaluate(model, bert_tok, TEXTS, seed=5, return_tokens=True, mlm_probability=0.3)
    t = report.tokens
    rows = table[t["input_id"]].astype(np.float64)  # [T, V]: the logits the model gave at each scored token
    m = rows.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(rows - m).sum(axis=1))
    assert t["loss"] == pytest.approx(lse - rows[np.arange(len(rows)), t["label"]], rel=1e-6)
    assert np.array_equal(t["top_id"], rows.argmax(axis=1))
    assert np.array_equal(t["rank"], (rows > rows[np.arange(len(rows)), t["label"]][:, None]).sum(axis=1))


def test_top_id_is_the_argmax_of_the_bert_logits(bert_model, bert_tok):
    text = "the cat sat on the mat"
    report = fm.evaluate(bert_model, bert_tok, [text], mlm_probability=1.0, mask_replace_prob=1.0,
                         random_replace_prob=0.0, return_tokens=True)
    enc = bert_tok.encode_batch([text])
    masked = np.where(enc.special_tokens_mask == 1, enc.input_ids, bert_tok.mask_token_id)
    logits = bert_model(masked, enc.attention_mask, enc.token_type_ids)[0]  # [L, V]
    assert report.tokens["position"].tolist() == [1, 2, 3, 4, 5, 6]
    assert report.tokens["top_id"].tolist() == logits[1:7].argmax(axis=1).tolist()


def test_tokens_are_left_out_unless_asked(bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, TEXTS[:10])
    assert report.tokens is None and report.worst_tokens is None
    with pytest.raises(fm.FillMaskError, match="return_tokens=True"):
        report.worst(3)


def test_report_with_tokens_is_json_ready(records):
    out = json.loads(json.dumps(records.to_dict()))
    assert out["tokens"]["loss"] == records.tokens["loss"].tolist()
    assert len(out["worst_tokens"]) == 7


def test_worst_tokens_are_the_highest_losses_highest_first(records):
    losses = [w["loss"] for w in records.worst_tokens]
    assert losses == sorted(losses, reverse=True)
    assert losses == np.sort(records.tokens["loss"])[::-1][:7].tolist()


def test_worst_tokens_equal_the_worst_token_records(records):
    rows = records.worst(7)
    for key in COLUMNS:
        assert [w[key] for w in records.worst_tokens] == rows[key].tolist(), key


def test_worst_tokens_name_label_and_top_prediction(records, bert_tok):
    for w in records.worst_tokens:
        assert [w["label_token"], w["top_token"]] == bert_tok.convert_ids_to_tokens([w["label"], w["top_id"]])
        assert "[[" in w["context"] and "]]" in w["context"]


def test_worst_context_is_eight_tokens_each_side_as_the_model_saw_them(bert_model, bert_tok):
    n = 20  # "the" x 20: every token masked, so the context of token p is masks only
    report = fm.evaluate(bert_model, bert_tok, [" ".join(["the"] * n)], mlm_probability=1.0, mask_replace_prob=1.0,
                         random_replace_prob=0.0, worst=n)
    assert len(report.worst_tokens) == n
    for w in report.worst_tokens:
        p = w["position"]  # 1..n ([CLS] is 0)
        left, right = ["[MASK]"] * min(8, p - 1), ["[MASK]"] * min(8, n - p)
        expected = " ".join(left + ["[[the]]"] + right)
        expected = ("... " if p - 1 > 8 else "") + expected + (" ..." if n - p > 8 else "")
        assert w["context"] == expected


def test_mark_target_keeps_a_subword_attached(bert_tok):
    ids = bert_tok.encode_rows(["the soup needs more salt"])[0].ids  # [CLS] the soup need ##s mo ##re salt [SEP]
    assert mark_target(bert_tok, ids[1:6].tolist(), int(ids[6]), ids[7:8].tolist()) == "the soup needs mo[[re]] salt"
    assert mark_target(bert_tok, ids[1:2].tolist(), int(ids[2]), ids[3:5].tolist()) == "the [[soup]] needs"


def test_mark_target_in_byte_level_bpe():
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / "roberta")
    ids = tok.encode_rows(["the cat sat on the mat"])[0].ids[1:-1].tolist()
    k = len(tok.encode_rows(["the cat"])[0].ids) - 2  # tokens of "the cat"
    assert mark_target(tok, ids[:k], ids[k], ids[k + 1:]) == "the cat [[sat]] on the mat"  # "Ġsat": space outside


@pytest.mark.slow
def test_worst_keeps_memory_bounded_by_n_not_the_corpus(bert_model, bert_tok):
    import tracemalloc

    lines = [t for t in TEXTS if t.strip()]

    def peak_bytes(repeats: int) -> int:
        stream = (line for _ in range(repeats) for line in lines)
        tracemalloc.start()
        try:
            fm.evaluate(bert_model, bert_tok, stream, batch_size=8, worst=5)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_bytes(3), peak_bytes(30)
    assert large < 1.5 * small + 1_000_000


@pytest.mark.parametrize("worst", [-1, 1.5, True])
def test_a_bad_worst_count_is_refused(bert_model, bert_tok, worst):
    with pytest.raises(fm.FillMaskError, match="worst="):
        fm.evaluate(bert_model, bert_tok, TEXTS, worst=worst)
