"""The progress bar of the long commands: tqdm on stderr with the total, the rate and an ETA, drawn when stderr is a
terminal (a pseudo-terminal here), silent in a pipe unless --progress asks, labelled with the command."""

from __future__ import annotations

import re

import pytest

from helpers import EVAL_TXT, GOLDEN
from helpers.cli_runs import cli
from helpers.terminal import in_pipes, in_terminal

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"
ESM = GOLDEN / "models" / "esm"
ETA = re.compile(r"\[\d\d:\d\d<\d\d:\d\d, ")  # [elapsed<remaining, rate ...]


def test_pppl_in_a_terminal_shows_the_total_the_rate_and_an_eta():
    status, printed = in_terminal("pppl", "--limit", "20")
    assert status == 0, printed
    bar = [line for line in re.split(r"[\r\n]+", printed) if line.startswith("pppl:")]
    assert bar and "0/20 " in bar[0]  # the total is known before the first sample is scored
    assert "20/20 " in bar[-1] and ETA.search(bar[-1]) and "sample/s" in bar[-1] and "tokens/s" in bar[-1]


def test_pppl_into_a_pipe_prints_no_progress():
    run = in_pipes("pppl", "--limit", "5")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # not a line, not a carriage return


def test_progress_forces_the_bar_into_a_pipe_and_no_progress_keeps_a_terminal_quiet():
    run = in_pipes("pppl", "--limit", "5", "--progress")
    assert run.returncode == 0, run.stderr
    assert "5/5 " in run.stderr and ETA.search(run.stderr)
    status, printed = in_terminal("pppl", "--limit", "5", "--no-progress")
    assert status == 0 and "pppl:" not in printed and "sample/s" not in printed


def test_the_total_counts_the_samples_a_limit_and_a_shard_leave():
    run = cli("eval", "--data", EVAL_TXT, "--limit", "9", "--shard", "1/2", "--progress")
    assert run.status == 0, run.err
    assert "eval: " in run.err and "4/4 " in run.err  # samples 1, 3, 5, 7 of the first 9


def test_compare_labels_its_bar_compare_not_eval():
    run = cli("compare", "--reference", BERT, "--reference-backend", "numpy", "--data", EVAL_TXT, "--limit", "6",
              "--progress")
    assert run.status == 0, run.err
    assert "compare: " in run.err and "6/6 " in run.err and "eval:" not in run.err


def test_pairs_counts_its_sentences_two_per_pair():
    run = cli("pairs", "--model", BERT, "--data", GOLDEN / "text" / "minimal_pairs.jsonl", "--limit", "3",
              "--progress")
    assert run.status == 0, run.err
    assert "pairs: " in run.err and "6/6 " in run.err and "sentence/s" in run.err and "pppl:" not in run.err


def test_generate_counts_its_generations():
    run = cli("generate", "--model", BERT, "The [MASK] sat.", "A [MASK] ran.", "--num-samples", "2", "--seed", "1",
              "--batch-size", "3", "--progress")
    assert run.status == 0, run.err
    assert "generate: " in run.err and "4/4 " in run.err and ETA.search(run.err)


def test_variants_counts_the_model_rows_it_runs(tmp_path):
    wild = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
    table = tmp_path / "dms.csv"
    table.write_text(f"mutant\n{wild[0]}1A\n{wild[2]}3A:{wild[4]}5A\n", encoding="utf-8")
    run = cli("variants", "--model", ESM, "--sequence", wild, "--mutations", table, "--strategy",
              "masked-marginals", "--progress")
    assert run.status == 0, run.err
    assert "variants: " in run.err and "3/3 " in run.err  # one masked row per distinct position: 1, 3, 5


def test_merge_counts_the_partials_it_reads(tmp_path):
    paths = [tmp_path / f"part-{i}.json" for i in range(3)]
    for i, path in enumerate(paths):
        assert cli("pppl", "--limit", "6", "--shard", f"{i}/3", "--partial", path).status == 0
    run = cli("merge", *paths, "--progress")
    assert run.status == 0, run.err
    assert "merge: " in run.err and "3/3 " in run.err and "partial/s" in run.err


def test_without_a_terminal_no_long_command_prints_progress(tmp_path):
    runs = [cli("eval", "--limit", "3"), cli("generate", "--model", BERT, "The [MASK] sat."),
            cli("compare", "--reference", BERT, "--reference-backend", "numpy", "--limit", "3")]
    assert all(run.status == 0 and "%|" not in run.err for run in runs), [run.err for run in runs]


def test_optimize_counts_the_calibration_samples_of_static_int8(tmp_path):
    run = cli("optimize", BERT, "-o", tmp_path / "int8" / "model.onnx", "--int8", "--calibration-samples", "8",
              "--progress")
    assert run.status == 0, run.err
    assert "calibration: " in run.err and "8/8 " in run.err and ETA.search(run.err)
