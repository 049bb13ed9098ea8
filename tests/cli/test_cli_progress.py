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
    assert "pppl:" not in run.stderr and "sample/s" not in run.stderr


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
