"""`fillmask-np eval --worst N` and `--tokens FILE`: the worst tokens after the table or in the JSON, and the
per-token records written as .npz or .jsonl."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from fillmask_np.metrics.records import COLUMNS

from helpers import EVAL_TXT

pytestmark = pytest.mark.cli


def test_cli_worst_prints_the_worst_tokens_after_the_table(capsys):
    assert main(["eval", "--worst", "3"]) == 0
    out = capsys.readouterr().out
    assert out.index("top-5 accuracy") < out.index("worst 3 masked tokens")
    assert sum("[[" in line for line in out.splitlines()) == 3


def test_cli_json_lists_the_worst_tokens(capsys):
    assert main(["eval", "--worst", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [set(w) for w in out["worst_tokens"]] == [set(COLUMNS) | {"label_token", "top_token", "context"}] * 2


@pytest.mark.parametrize("suffix", [".npz", ".jsonl"])
def test_cli_tokens_file_holds_the_api_records(tmp_path, capsys, bert_model, bert_tok, suffix):
    path = tmp_path / f"tokens{suffix}"
    assert main(["eval", "--seed", "4", "--tokens", str(path)]) == 0
    expected = fm.evaluate(bert_model, bert_tok, EVAL_TXT, seed=4, return_tokens=True).tokens
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            got = {k: npz[k] for k in npz.files}
    else:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        got = {k: np.array([line[k] for line in lines]) for k in COLUMNS}
    assert set(COLUMNS) <= set(got)  # the records' columns, and what tests/cli/test_cli_tokens_table.py checks
    for key in COLUMNS:
        assert np.array_equal(got[key], expected[key]), key


def test_cli_tokens_file_needs_a_known_suffix(tmp_path, capsys):
    assert main(["eval", "--tokens", str(tmp_path / "tokens.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and ".npz" in err and len(err.strip().splitlines()) == 1
