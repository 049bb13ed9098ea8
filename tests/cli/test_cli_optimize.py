"""`fillmask-np optimize`: it writes the model beside its config and tokenizer and prints the difference; a graph
it cannot rewrite, or a missing onnx package, is a one-line error with exit 2."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from fillmask_np.cli import main

from helpers import GOLDEN
from helpers.onnx_graphs import sequence_softmax_model

pytestmark = pytest.mark.cli


def test_cli_writes_the_model_and_prints_the_difference(tmp_path, capsys):
    out = tmp_path / "export" / "model.fast.onnx"
    assert main(["optimize", str(GOLDEN / "models" / "bert"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "max abs logit difference" in printed and str(out) in printed
    assert out.is_file() and (out.parent / "config.json").is_file() and (out.parent / "tokenizer.json").is_file()
    assert main(["eval", "--model", str(out), "--json", "--threads", "1", "--no-spinning"]) == 0
    assert json.loads(capsys.readouterr().out)["n_masked"] > 0


def test_cli_json_reports_the_float32_difference(tmp_path, capsys):
    assert main(["optimize", str(GOLDEN / "models" / "bert"), "-o", str(tmp_path / "j"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fp32_max_abs_diff"] == 0.0  # the gathered rows are bit-identical


def test_cli_a_graph_without_a_position_wise_head_exits_2_in_one_line(tmp_path, capsys):
    table = np.random.default_rng(0).normal(size=(12, 12)).astype(np.float32)
    src = sequence_softmax_model(tmp_path / "m.onnx", table)
    assert main(["optimize", str(src), "-o", str(tmp_path / "out.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: cannot find a position-wise LM head") and err.count("\n") == 1
    assert not (tmp_path / "out.onnx").exists()


def test_cli_missing_onnx_exits_2_naming_the_extra_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    assert main(["optimize", str(GOLDEN / "models" / "bert"), "-o", str(tmp_path / "out.onnx")]) == 2
    assert "fillmask_np[optimize]" in capsys.readouterr().err
