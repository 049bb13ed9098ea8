"""Reports as JSON: ``to_dict()`` of an evaluation and of a pseudo-log-likelihood run survives json.dumps with the
keys the CLI prints (the per-token records' JSON: tests/unit/metrics/test_token_records.py)."""

from __future__ import annotations

import json

import numpy as np

import fillmask_np as fm

from helpers import EVAL_TXT, FixedLogits

TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:40]


def test_report_to_dict_is_json_ready(bert_model, bert_tok):
    out = fm.evaluate(bert_model, bert_tok, TEXTS).to_dict()
    assert json.loads(json.dumps(out))["n_masked"] == out["n_masked"]
    assert set(out["per_sample"]) == {"index", "position", "n_masked", "cross_entropy"}


def test_the_report_names_its_variant_and_is_json_ready(bert_tok):
    report = fm.pseudo_perplexity(FixedLogits(np.zeros(len(bert_tok))), bert_tok, ["a cat"], variant="within_word_l2r",
                                  return_tokens=True)
    out = json.loads(json.dumps(report.to_dict()))
    assert out["variant"] == out["settings"]["variant"] == "within_word_l2r"
    assert out["tokens"]["token_id"] == report.tokens["token_id"].tolist()
