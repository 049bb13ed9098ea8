"""The top-5 records (``evaluate(return_top5=True)``) leave every other number bit-identical, and the per-token table
(``report.token_table``, ``EvalReport.to_pandas``) holds the records' numbers plus what a person reads them with."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.metrics.records import COLUMNS
from fillmask_np.report import token_table
from fillmask_np.report.per_token import TABLE_COLUMNS
from fillmask_np.report.per_token import input_kinds

from helpers import EVAL_TXT

TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:50]


@pytest.fixture(scope="module")
def with_top5(bert_model, bert_tok):
    return fm.evaluate(bert_model, bert_tok, TEXTS, seed=3, return_tokens=True, return_top5=True)


def test_top5_records_leave_the_cross_entropy_and_the_records_bit_identical(bert_model, bert_tok, with_top5):
    plain = fm.evaluate(bert_model, bert_tok, TEXTS, seed=3, return_tokens=True)
    bare = fm.evaluate(bert_model, bert_tok, TEXTS, seed=3)
    assert with_top5.cross_entropy == plain.cross_entropy == bare.cross_entropy
    assert with_top5.per_sample == plain.per_sample == bare.per_sample
    for key in COLUMNS:
        assert np.array_equal(with_top5.tokens[key], plain.tokens[key]), key


def test_top5_records_are_the_best_ids_with_their_softmax_probabilities(bert_model, bert_tok, with_top5):
    t = with_top5.tokens
    assert t["top5_ids"].shape == t["top5_probs"].shape == (with_top5.n_masked, 5)
    assert np.array_equal(t["top5_ids"][:, 0], t["top_id"])
    assert np.all(np.diff(t["top5_probs"], axis=1) <= 0) and np.all(t["top5_probs"].sum(axis=1) <= 1 + 1e-9)
    inside = t["rank"] < 5  # the label's own probability where it is among the five
    assert np.allclose(t["top5_probs"][inside, t["rank"][inside]], np.exp(-t["loss"][inside]), rtol=1e-6)
    enc = bert_tok.encode_batch([TEXTS[0]])  # against a softmax of the model's own logits
    row = t["sample"] == 0
    masked = enc.input_ids.copy()
    masked[0, t["position"][row]] = t["input_id"][row]
    logits = bert_model(masked, enc.attention_mask, enc.token_type_ids)[0, t["position"][row]].astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    expected = np.argsort(-probs, axis=1, kind="stable")[:, :5]
    assert np.array_equal(t["top5_ids"][row], expected)
    assert np.allclose(t["top5_probs"][row], np.take_along_axis(probs, expected, axis=1), rtol=1e-5)


def test_return_top5_needs_return_tokens(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match="return_tokens=True"):
        fm.evaluate(bert_model, bert_tok, TEXTS, return_top5=True)


def test_the_table_has_the_records_numbers_and_their_strings(bert_tok, with_top5):
    table = token_table(with_top5.tokens, with_top5.per_sample, bert_tok)
    assert tuple(table) == TABLE_COLUMNS
    t = with_top5.tokens
    for key in ("sample", "position", "label", "input_id", "loss", "rank", "top_id"):
        assert np.array_equal(table[key], t[key]), key
    assert np.array_equal(table["label_prob"], np.exp(-t["loss"]))
    assert table["label_token"].tolist() == bert_tok.convert_ids_to_tokens(t["label"].tolist())
    assert table["top_token"].tolist() == bert_tok.convert_ids_to_tokens(t["top_id"].tolist())
    where = dict(zip(with_top5.per_sample["index"], with_top5.per_sample["position"]))
    assert table["source_position"].tolist() == [where[i] for i in t["sample"].tolist()]
    kinds = table["input_kind"]
    assert set(kinds.tolist()) <= {"mask", "random", "kept"}
    assert np.array_equal(kinds == "mask", t["input_id"] == bert_tok.mask_token_id)


def test_without_a_tokenizer_the_table_has_the_numbers_only(with_top5):
    table = token_table(with_top5.tokens, with_top5.per_sample)
    assert set(table) == set(TABLE_COLUMNS) - {"label_token", "top_token", "input_kind"}


def test_the_table_needs_the_records(bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, TEXTS[:5])
    with pytest.raises(fm.FillMaskError, match="return_tokens=True"):
        token_table(report.tokens, report.per_sample, bert_tok)


def test_input_kinds_name_what_the_model_saw():
    assert input_kinds(np.array([4, 9, 9]), np.array([7, 9, 8]), 4).tolist() == ["mask", "kept", "random"]


def test_to_pandas_is_the_table(bert_tok, with_top5):
    pd = pytest.importorskip("pandas")
    frame = with_top5.to_pandas(bert_tok)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(TABLE_COLUMNS)
    assert np.array_equal(frame["loss"].to_numpy(), with_top5.tokens["loss"])


def test_to_pandas_without_pandas_says_what_to_install(monkeypatch, with_top5):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(fm.FillMaskError) as info:
        with_top5.to_pandas()
    assert str(info.value) == "EvalReport.to_pandas needs pandas: pip install pandas"
