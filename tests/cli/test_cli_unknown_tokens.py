"""Unknown tokens on the command line: eval, pppl, compare and merge print one ``fillmask-np: warning:`` line with
the share when more than 5 % of the text's tokens are the tokenizer's unknown token, and exit 0; the counts are in
the table and the JSON. ``optimize --int8`` refuses a calibration text the tokenizer cannot read (exit 2, one line
naming --calibration) and warns when the int8 check's cross-entropy moves by more than 1 %.

The ESM golden model reads residues; the bundled English text (eval.txt) is mostly unknown to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fillmask_np.cli import main
from fillmask_np.optimize import outcome
from fillmask_np.text import default_text_path

from helpers import EVAL_TXT
from helpers.protein import ESM, PROTEIN_TXT, word_level_protein

pytestmark = pytest.mark.cli


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("fillmask-np: warning: ")]


def _unknown_warnings(err: str) -> list[str]:
    return [line for line in _warnings(err) if "unknown token" in line]


@pytest.mark.parametrize("verb", ["eval", "pppl"])
def test_english_on_a_protein_model_exits_0_with_one_warning_giving_the_share(capsys, verb):
    assert main([verb, "--model", str(ESM), "--data", str(EVAL_TXT), "--limit", "5", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    share = 100 * out["unk_tokens"] / out["text_tokens"]
    assert out["unk_tokens"] > 0.05 * out["text_tokens"]
    assert out["provenance"]["counts"]["unk_tokens"] == out["unk_tokens"]
    (line,) = _warnings(captured.err)
    assert f"{out['unk_tokens']} of {out['text_tokens']} text tokens ({share:.1f} %)" in line and "alphabet" in line


@pytest.mark.parametrize("verb", ["eval", "pppl"])
def test_the_table_has_an_unknown_tokens_row(capsys, verb):
    assert main([verb, "--model", str(ESM), "--data", str(PROTEIN_TXT), "--limit", "5"]) == 0
    captured = capsys.readouterr()
    (row,) = [line for line in captured.out.splitlines() if line.startswith("unknown tokens")]
    assert row.split()[2] == "0" and "(0.0 %)" in row
    assert _warnings(captured.err) == []


def test_unspaced_protein_on_a_word_level_tokenizer_is_warned_about(capsys, tmp_path):
    model = word_level_protein(tmp_path)
    data = tmp_path / "unspaced.txt"
    data.write_text("".join(line.strip() + "\n" for line in PROTEIN_TXT.read_text().splitlines()[:4]), "utf-8")
    assert main(["eval", "--model", str(model), "--data", str(data), "--mlm-probability", "1.0", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["unk_tokens"], out["text_tokens"]) == (4, 4)  # each unspaced line is one unknown word
    assert len(_unknown_warnings(captured.err)) == 1 and "100.0 %" in captured.err


def test_compare_warns_once(capsys):
    status = main(["compare", "--model", str(ESM / "model.onnx"), "--reference", str(ESM), "--reference-backend",
                   "numpy", "--data", str(EVAL_TXT), "--limit", "5"])  # the export against its checkpoint
    captured = capsys.readouterr()
    assert status in (0, 1) and len(_unknown_warnings(captured.err)) == 1
    assert any(line.startswith("unknown tokens") for line in captured.out.splitlines())


def test_merge_adds_the_shards_counts_and_warns_once(capsys, tmp_path):
    parts = [str(tmp_path / f"p{i}.json") for i in range(2)]
    for i, part in enumerate(parts):
        assert main(["eval", "--model", str(ESM), "--data", str(EVAL_TXT), "--limit", "6", "--shard", f"{i}/2",
                     "--partial", part, "--json"]) == 0
    capsys.readouterr()
    assert main(["merge", *parts, "--json"]) == 0
    captured = capsys.readouterr()
    merged = json.loads(captured.out)
    assert main(["eval", "--model", str(ESM), "--data", str(EVAL_TXT), "--limit", "6", "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert (merged["unk_tokens"], merged["text_tokens"]) == (whole["unk_tokens"], whole["text_tokens"])
    assert len(_unknown_warnings(captured.err)) == 1


def test_optimize_refuses_a_calibration_text_the_tokenizer_cannot_read(capsys, tmp_path):
    out = tmp_path / "int8"
    assert main(["optimize", str(ESM), "-o", str(out), "--int8"]) == 2  # the bundled English text
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fillmask-np: error: calibration file ")
    assert "unknown token" in err and "--calibration" in err and str(default_text_path()) in err  # wherever installed
    assert not out.exists()


def test_optimize_with_the_model_s_own_text_writes_without_a_warning(capsys, tmp_path):
    out = tmp_path / "int8"
    assert main(["optimize", str(ESM), "-o", str(out), "--int8", "--calibration", str(PROTEIN_TXT), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert abs(report["ce_rel_change"]) <= outcome.INT8_CE_CHANGE_LIMIT and _warnings(captured.err) == []
    assert (out / "model.onnx").is_file()


def test_optimize_warns_when_the_int8_cross_entropy_moves_more_than_the_limit(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(outcome, "INT8_CE_CHANGE_LIMIT", 0.0)  # any change is above it; the real 1 % is not reached
    assert main(["optimize", str(ESM), "-o", str(tmp_path / "int8"), "--int8", "--calibration", str(PROTEIN_TXT),
                 "--json"]) == 0
    captured = capsys.readouterr()
    change = json.loads(captured.out)["ce_rel_change"]
    (line,) = _warnings(captured.err)
    assert change != 0.0 and f"{100 * change:+.2f} %" in line and "--calibration" in line


def test_dynamic_int8_above_the_limit_points_to_static_calibration(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(outcome, "INT8_CE_CHANGE_LIMIT", 0.0)
    assert main(["optimize", str(ESM), "-o", str(tmp_path / "dyn"), "--quantization", "dynamic"]) == 0
    (line,) = _warnings(capsys.readouterr().err)
    assert "static int8" in line and "--calibration" in line


def test_a_float32_optimize_never_warns_about_int8(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(outcome, "INT8_CE_CHANGE_LIMIT", 0.0)
    assert main(["optimize", str(ESM), "-o", str(Path(tmp_path) / "fp32")]) == 0
    assert _warnings(capsys.readouterr().err) == []
