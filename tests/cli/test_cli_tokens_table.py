"""`fillmask-np eval --tokens FILE` as .csv, .jsonl, .parquet or .npz: one row per masked token with the table's
columns (report.per_token), numbers equal to the JSON report's, written atomically; .parquet needs pyarrow."""

from __future__ import annotations

import csv
import json
import math
import sys

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from fillmask_np.report.per_token import TABLE_COLUMNS

from helpers import EVAL_TXT

pytestmark = pytest.mark.cli

INTS = ("sample", "source_position", "position", "label", "input_id", "rank", "top_id")
FLOATS = ("loss", "label_prob")
STRINGS = ("label_token", "input_kind", "top_token")


def _read(path) -> dict[str, list]:
    suffix = path.suffix
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k].tolist() for k in npz.files}
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pydict()
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row.update({k: int(row[k]) for k in INTS}, **{k: float(row[k]) for k in FLOATS})
    return {k: [row[k] for row in rows] for k in rows[0]}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".npz"])
def test_the_tokens_file_has_one_row_per_masked_token_with_the_jsons_numbers(tmp_path, capsys, bert_model, bert_tok,
                                                                             suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path / f"tokens{suffix}"
    assert main(["eval", "--seed", "4", "--tokens", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    api = fm.evaluate(bert_model, bert_tok, EVAL_TXT, seed=4, return_tokens=True)
    records = json.loads(json.dumps(api.to_dict()))["tokens"]  # the records as the JSON report writes them
    got = _read(path)
    assert list(got) == list(TABLE_COLUMNS)
    assert len(got["loss"]) == printed["n_masked"]
    for key in ("sample", "position", "label", "input_id", "loss", "rank", "top_id"):
        assert got[key] == records[key], key  # floats bit for bit
    assert got["label_prob"] == np.exp(-np.array(records["loss"])).tolist()
    where = dict(zip(printed["per_sample"]["index"], printed["per_sample"]["position"]))
    assert got["source_position"] == [where[i] for i in got["sample"]]
    assert got["label_token"] == bert_tok.convert_ids_to_tokens(records["label"])
    assert got["top_token"] == bert_tok.convert_ids_to_tokens(records["top_id"])
    assert set(got["input_kind"]) <= {"mask", "random", "kept"}
    sums: dict[int, list[float]] = {}
    for sample, loss in zip(got["sample"], got["loss"]):
        sums.setdefault(sample, []).append(loss)
    per_sample = dict(zip(printed["per_sample"]["index"], printed["per_sample"]["cross_entropy"]))
    assert {i: math.fsum(v) / len(v) for i, v in sums.items()} == per_sample  # correctly rounded sums


def test_a_csv_keeps_token_strings_with_commas_and_quotes(tmp_path, capsys):
    path = tmp_path / "t.csv"
    data = tmp_path / "d.txt"
    data.write_text('He said, "yes", then left.\n' * 30, encoding="utf-8")
    assert main(["eval", "--data", str(data), "--tokens", str(path), "--mlm-probability", "0.9"]) == 0
    got = _read(path)
    assert {",", '"'} & set(got["label_token"])
    assert len(got["loss"]) == len(path.read_text(encoding="utf-8").splitlines()) - 1  # no line split by a token


def test_parquet_without_pyarrow_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert main(["eval", "--tokens", str(tmp_path / "t.parquet")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'fillmask_np[parquet]'" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
