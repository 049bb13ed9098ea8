"""`fillmask-np generate`: the issue's commands, the JSON report, --data batched, --history, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fillmask_np.cli import main

from helpers import GOLDEN, load_npz

pytestmark = pytest.mark.cli

BERT, ESM = str(GOLDEN / "models" / "bert"), str(GOLDEN / "models" / "esm")


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fill_three_masks_in_two_steps(capsys):
    assert main(["generate", "--model", BERT, "The capital of France is [MASK] [MASK] [MASK].", "--steps", "2",
                 "--seed", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "0" and "[MASK]" not in lines[0]
    assert lines[-1].startswith("# 3 tokens in 2 model runs")


def test_continue_a_protein(capsys):
    report = _json(capsys, ["generate", "--model", ESM, "--prefix", "MKTAYIAK", "--new-tokens", "40", "--steps",
                            "10", "--schedule", "cosine", "--top-p", "0.9", "--seed", "1"])
    (result,) = report["results"]
    assert result["text"].replace(" ", "").startswith("MKTAYIAK") and len(result["text"].split()) == 48
    assert [len(s["positions"]) for s in result["steps"]] == [1, 1, 3, 3, 4, 5, 5, 6, 6, 6]
    assert report["model_runs"] == 10 and report["tokens_filled"] == 40 and report["tokens_per_second"] > 0
    assert report["settings"]["top_p"] == 0.9 and report["provenance"]["model"]["sha256"]


def test_samples_from_nothing_with_a_history_file(capsys, tmp_path):
    path = tmp_path / "hist.npz"
    report = _json(capsys, ["generate", "--model", ESM, "--length", "60", "--steps", "12", "--num-samples", "8",
                            "--seed", "1", "--history", str(path)])
    assert len(report["results"]) == 8 and len({r["text"] for r in report["results"]}) == 8
    assert [r["sample_index"] for r in report["results"]] == list(range(8))
    arrays = load_npz(path)
    assert report["history"]["sha256"] and arrays["top_ids"].shape[1] == 5  # --history-top-k default
    assert json.loads(str(arrays["header"]))["settings"]["seed"] == 1 and len(arrays["fill_token"]) == 8 * 60


def test_data_prompts_one_per_line_batched(capsys, tmp_path):
    data = tmp_path / "prompts.txt"
    data.write_text("the [MASK] sat on the [MASK].\n\nthe [MASK] [MASK] on the mat.\n", encoding="utf-8")
    report = _json(capsys, ["generate", "--model", BERT, "--data", str(data), "--steps", "2", "--seed", "0"])
    prompts = ["the [MASK] sat on the [MASK].", "the [MASK] [MASK] on the mat."]
    assert [r["prompt"] for r in report["results"]] == prompts
    assert report["model_runs"] == 2  # both prompts in each step's run


def test_max_steps_reports_what_is_left(capsys):
    assert main(["generate", "--model", BERT, "[MASK] [MASK] [MASK] [MASK]", "--max-steps", "1", "--steps", "2"]) == 0
    assert "2 masks unfilled" in capsys.readouterr().out


def test_predict_takes_several_texts_and_data(capsys, tmp_path):
    data = tmp_path / "texts.txt"
    data.write_text("the cat [MASK] on the mat.\nthe [MASK] sat.\n", encoding="utf-8")
    report = _json(capsys, ["predict", "--model", BERT, "--data", str(data), "--top-k", "2"])
    assert set(report) == {"texts", "results", "settings", "provenance"} and len(report["results"]) == 2
    single = _json(capsys, ["predict", "--model", BERT, "the [MASK] sat.", "--top-k", "2"])
    assert single["result"] == report["results"][1]
    assert main(["predict", "--model", BERT, "the cat [MASK].", "the [MASK] sat.", "--strategy", "iterative"]) == 0
    assert capsys.readouterr().out.count("text ") == 2


@pytest.mark.parametrize("argv, fragment", [
    (["a [MASK] b", "--prefix", "x", "--new-tokens", "2"], "pass the prompts one way"),
    (["--prefix", "the cat"], "needs --new-tokens N"),
    (["--length", "3", "--sample"], "sampling needs exactly one of seed= or rng="),
    (["a [MASK] b", "--schedule", "two"], "is not linear, cosine or counts"),
])
def test_bad_options_exit_2(capsys, argv, fragment):
    assert main(["generate", "--model", BERT] + argv) == 2
    assert fragment in capsys.readouterr().err


def test_history_array_shapes_agree(capsys, tmp_path):
    path = tmp_path / "h.npz"
    assert main(["generate", "--model", BERT, "a [MASK] b [MASK] c [MASK]", "--steps", "3", "--history", str(path),
                 "--history-top-k", "2"]) == 0
    arrays = load_npz(path)
    assert arrays["top_ids"].shape == (3 + 2 + 1, 2) and np.all(np.diff(arrays["fill_step"]) >= 0)
