"""`fillmask-np predict`: the top-k candidates, the JSON result with settings and provenance, the iterative steps,
and one-line errors."""

from __future__ import annotations

import json

import pytest

from fillmask_np.cli import main

from helpers import GOLDEN

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"
ONE = "the cat [MASK] on the mat."
TWO = "the [MASK] sat on the [MASK]."


def test_predict_prints_top_k_candidates(capsys):
    assert main(["predict", "--model", str(BERT), "The cat [MASK] on the mat.", "--top-k", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert len(result) == 3
    assert set(result[0]) == {"score", "token", "token_str", "sequence"}
    assert result[0]["score"] >= result[1]["score"] >= result[2]["score"]


def test_cli_json_has_result_settings_and_provenance(capsys, bert_dir):
    assert main(["predict", "--model", str(bert_dir), ONE, "--targets", "dog,sat", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"text", "settings", "result", "provenance"}
    assert report["settings"]["targets"] == ["dog", "sat"] and len(report["result"]) == 2
    assert report["provenance"]["model"]["sha256"] and report["provenance"]["tokenizer"]["sha256"]


def test_cli_prints_the_iterative_steps(capsys, bert_dir):
    assert main(["predict", "--model", str(bert_dir), TWO, "--strategy", "iterative", "--sample", "--seed",
                 "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["step", "mask", "score"] and len(lines) == 3


def test_cli_an_empty_target_is_one_error_line(capsys, bert_dir):
    assert main(["predict", "--model", str(bert_dir), ONE, "--targets", "dog,"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: target '' tokenizes to nothing") and err.count("\n") == 1
