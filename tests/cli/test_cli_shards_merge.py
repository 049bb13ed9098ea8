"""`--shard I/N --partial F` and `fillmask-np merge`: the merged report is the whole run's, as JSON and as a
table; a merged comparison keeps compare's exit code."""

from __future__ import annotations

import json

import pytest

from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN

pytestmark = pytest.mark.cli

MODELS = GOLDEN / "models"
BERT = MODELS / "bert"
RUN_KEYS = ("model", "tokenizer", "data", "tokens_file", "html_file", "saved_masks", "provenance", "merged_from",
            "saved_partial")


def _json(capsys, argv):
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    return {k: v for k, v in out.items() if k not in RUN_KEYS}


def _shards(tmp_path, capsys, argv, n, suffix=".json"):
    paths = []
    for i in range(n):
        paths.append(str(tmp_path / f"part-{i}{suffix}"))
        assert main([*argv, "--shard", f"{i}/{n}", "--partial", paths[-1]]) == 0
    capsys.readouterr()
    return paths


def test_merged_eval_shards_print_the_whole_runs_json(tmp_path, capsys):
    argv = ["eval", "--model", str(BERT), "--data", str(EVAL_TXT), "--seed", "3", "--worst", "4"]
    paths = _shards(tmp_path, capsys, argv, 4, ".npz")
    merged = _json(capsys, ["merge", *reversed(paths), "--json"])
    whole = _json(capsys, [*argv, "--json"])
    assert merged == whole and merged["settings"]["shard"] is None


def test_a_shards_table_says_which_shard_and_where_its_partial_went(tmp_path, capsys):
    path = tmp_path / "p.json"
    assert main(["eval", "--model", str(BERT), "--data", str(EVAL_TXT), "--shard", "1/3", "--partial", str(path)]) == 0
    out = capsys.readouterr().out
    assert "shard           1 of 3 (samples k with k % 3 == 1)" in out and f"partial         {path}" in out


def test_merging_some_shards_with_allow_partial_says_it_is_not_the_whole_corpus(tmp_path, capsys):
    paths = _shards(tmp_path, capsys, ["eval", "--model", str(BERT), "--data", str(EVAL_TXT)], 3)
    assert main(["merge", paths[0], paths[2], "--allow-partial"]) == 0
    assert "shards          2 of 3 merged (0, 2): NOT the whole corpus" in capsys.readouterr().out
    out = _json(capsys, ["merge", paths[0], paths[2], "--allow-partial", "--json"])
    assert out["settings"]["shards_covered"] == [0, 2] and out["settings"]["shards_total"] == 3


def test_merged_pppl_shards_print_the_whole_runs_json(tmp_path, capsys):
    argv = ["pppl", "--model", str(BERT), "--data", str(EVAL_TXT), "--limit", "24"]
    paths = _shards(tmp_path, capsys, argv, 2)
    merged = _json(capsys, ["merge", *paths, "--json"])
    whole = _json(capsys, [*argv, "--json"])
    whole.pop("tokens")  # pppl --json writes tokens: null
    assert merged == whole
    assert main(["merge", *paths]) == 0 and "PPPL" in capsys.readouterr().out


def test_merged_compare_shards_print_the_whole_runs_json_and_verdict(tmp_path, capsys):
    argv = ["compare", "--model", str(BERT), "--reference", str(MODELS / "distilbert"), "--tokenizer", str(BERT),
            "--data", str(EVAL_TXT), "--bootstrap", "200", "--regression", "1e9", "--at-risk", "1e9",
            "--kl-at-risk", "1e9", "--kl-regression", "1e9", "--agreement-at-risk", "0", "--agreement-regression", "0",
            "--top5-at-risk", "0", "--top5-regression", "0", "--profile", "lossy"]
    paths = _shards(tmp_path, capsys, argv, 3)
    merged = _json(capsys, ["merge", *paths, "--json"])
    whole = _json(capsys, [*argv, "--json"])
    assert merged == whole and merged["verdict"] == "PASS"
    assert main(["merge", *paths]) == 0 and "verdict          PASS" in capsys.readouterr().out


def test_shards_scored_at_batch_sizes_3_4_and_5_merge_to_the_whole_runs_json(tmp_path, capsys):
    """The batch size is an execution setting: ONNX Runtime gives each sample the same bits in any batch."""
    argv = ["eval", "--model", str(BERT), "--data", str(EVAL_TXT), "--seed", "2", "--worst", "4"]
    paths = [str(tmp_path / f"part-{i}.json") for i in range(3)]
    for i, path in enumerate(paths):
        assert main([*argv, "--batch-size", str(3 + i), "--shard", f"{i}/3", "--partial", path]) == 0
    capsys.readouterr()
    merged = _json(capsys, ["merge", *paths, "--json"])
    whole = _json(capsys, [*argv, "--batch-size", "16", "--json"])
    assert merged["settings"].pop("batch_size") == [3, 4, 5] and whole["settings"].pop("batch_size") == 16
    assert merged == whole
