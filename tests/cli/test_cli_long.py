"""``--long window --stride S`` on ``pppl`` and ``eval``: samples longer than the model scored whole, in windows.

The commands of docs/verbs/pppl.md run here on the golden models (ESM, 128 tokens: windows of 126 residues),
on texts built from the golden eval texts; shards and ``merge`` give the whole run's figures bit for bit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN, load_golden
from helpers.cli_runs import cli, error_line, ok_json
from helpers.protein import PROTEIN_TXT

pytestmark = pytest.mark.cli

ESM, BERT = GOLDEN / "models" / "esm", GOLDEN / "models" / "bert"
WINDOW = ["--long", "window", "--stride", "64"]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """long_proteins.txt (two proteins of several hundred residues, one short), long.txt (English, 3 long lines)."""
    folder = tmp_path_factory.mktemp("long")
    proteins, english = _lines(PROTEIN_TXT), _lines(EVAL_TXT)
    (folder / "long_proteins.txt").write_text(f"{''.join(proteins[:12])}\n{''.join(proteins[12:20])}\n{proteins[0]}\n",
                                              encoding="utf-8")
    (folder / "long.txt").write_text("".join(" ".join(english[k : k + 20]) + "\n" for k in (0, 20, 40)) +
                                     f"{english[0]}\n", encoding="utf-8")
    return {"proteins": folder / "long_proteins.txt", "english": folder / "long.txt"}


def test_readme_pppl_scores_every_residue_of_proteins_longer_than_the_model(data):
    # docs/verbs/pppl.md: fillmask-np pppl --model esm2/ --data long_proteins.txt --long window --stride 64
    run = cli("pppl", "--model", ESM, "--data", data["proteins"], *WINDOW)
    assert run.status == 0, run.err
    assert "long samples   windows of 128 tokens, stride 64" in run.out and "0 truncated to 128" in run.out
    window = ok_json("pppl", "--model", ESM, "--data", data["proteins"], *WINDOW)
    truncated = ok_json("pppl", "--model", ESM, "--data", data["proteins"])
    residues = sum(len(line) for line in data["proteins"].read_text().split())
    assert window["n_scored_tokens"] == residues > truncated["n_scored_tokens"]  # ESM: one token per residue
    assert (window["n_truncated"], truncated["n_truncated"]) == (0, 2)
    assert (window["settings"]["long"], window["settings"]["stride"]) == ("window", 64)
    assert (truncated["settings"]["long"], truncated["settings"]["stride"]) == ("truncate", None)


def test_readme_eval_with_windows_masks_a_short_sample_as_truncate_does(data):
    # docs/verbs/pppl.md: fillmask-np eval --model fast_dir/ --data long.txt --long window --json
    window = ok_json("eval", "--model", BERT, "--data", data["english"], "--long", "window")
    truncated = ok_json("eval", "--model", BERT, "--data", data["english"])
    assert window["n_truncated"] == 0 and truncated["n_truncated"] == 3
    assert window["n_masked"] > truncated["n_masked"]
    assert window["settings"]["stride"] == (128 - 2) // 2  # default: half the window's text tokens
    short = {key: column[-1] for key, column in window["per_sample"].items()}
    assert short == {key: column[-1] for key, column in truncated["per_sample"].items()}  # same masks, same figures


@pytest.mark.parametrize("verb", ["pppl", "eval"])
def test_window_partials_of_two_shards_merge_into_the_whole_run_bit_for_bit(data, tmp_path, verb):
    argv = [verb, "--model", BERT, "--data", data["english"], "--max-length", "40", *WINDOW[:2], "--stride", "15"]
    parts = [tmp_path / "p0.json", tmp_path / "p1.npz"]
    for i, part in enumerate(parts):
        assert cli(*argv, "--shard", f"{i}/2", "--partial", part).status == 0
    merged, whole = ok_json("merge", *parts), ok_json(*argv)
    keys = ("pseudo_perplexity", "pseudo_log_likelihood", "n_scored_tokens") if verb == "pppl" else \
        ("cross_entropy", "top1_accuracy", "n_masked")
    for key in keys:
        assert merged[key] == whole[key], key
    assert (merged["settings"]["long"], merged["settings"]["stride"]) == ("window", 15)


def test_partials_of_window_and_truncate_runs_are_not_merged(data, tmp_path):
    argv = ["pppl", "--model", BERT, "--data", data["english"], "--max-length", "40"]
    assert cli(*argv, "--shard", "0/2", "--partial", tmp_path / "a.json").status == 0
    assert cli(*argv, "--long", "window", "--shard", "1/2", "--partial", tmp_path / "b.json").status == 0
    assert "long='truncate' and long='window'" in error_line("merge", tmp_path / "a.json", tmp_path / "b.json")


def test_pairs_with_windows_scores_each_sentence_as_pppl_with_windows_does():
    pairs_file = GOLDEN / "text" / "minimal_pairs.jsonl"
    argv = ["--model", BERT, "--max-length", "8", "--long", "window", "--stride", "3"]
    report = ok_json("pairs", "--data", pairs_file, *argv)
    assert report["n_truncated"] == 0 and (report["settings"]["long"], report["settings"]["stride"]) == ("window", 3)
    sentences = [json.loads(line) for line in pairs_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    pll = fm.pseudo_log_likelihood(*load_golden("bert"), [s["sentence_good"] for s in sentences], max_length=8,
                                   long="window", stride=3)
    assert [p["good_pll"] for p in report["pairs"]] == pll.per_sample["pseudo_log_likelihood"]


@pytest.mark.parametrize("verb", ["pppl", "eval"])
def test_html_page_of_a_window_run_marks_tokens_past_the_model_length_in_the_whole_text(data, tmp_path, verb):
    page = tmp_path / "r.html"
    report = ok_json(verb, "--model", BERT, "--data", data["english"], "--max-length", "24", "--long", "window",
                     "--html", page)
    html = page.read_text(encoding="utf-8")
    shown = sum(int(n) for n in re.findall(r'data-sample="\d+" data-tokens="(\d+)"', html))
    assert shown == report["n_scored_tokens" if verb == "pppl" else "n_masked"] > 24 * 4
    assert "cut at max_length" not in html
