"""`fillmask-np pairs`: the JSON figures (accuracy, pairs in input order, groups) are the API's, the table names
them, `--html` writes the page, and `--shard`/`--partial` + `merge` give the whole run's JSON."""

from __future__ import annotations

import json
import shlex

import pytest

import fillmask_np as fm
from helpers import GOLDEN, REPO, require_shared
from helpers.cli_runs import cli, html_metrics, ok_json
from helpers.shown_runs import shown_runs

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"
PAIRS = GOLDEN / "text" / "minimal_pairs.jsonl"
RUN_KEYS = ("model", "tokenizer", "data", "html_file", "provenance", "merged_from", "saved_partial")


def _figures(out: dict) -> dict:
    return {k: v for k, v in out.items() if k not in RUN_KEYS}


def test_json_has_accuracy_pairs_in_input_order_and_groups_as_the_api(bert_model, bert_tok):
    out = ok_json("pairs", "--model", BERT, "--data", PAIRS, "--group-field", "UID", "--variant", "within_word_l2r")
    api = fm.score_pairs(bert_model, bert_tok, PAIRS, group_field="UID", variant="within_word_l2r")
    assert out["accuracy"] == api.accuracy and out["groups"] == api.groups
    records = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert [p["good"] for p in out["pairs"]] == [r["sentence_good"] for r in records]
    assert [(p["good_pll"], p["bad_pll"]) for p in out["pairs"]] == [(p["good_pll"], p["bad_pll"]) for p in api.pairs]
    assert out["accuracy"] == sum(p["good_pll"] > p["bad_pll"] for p in out["pairs"]) / len(records)
    assert out["variant"] == out["provenance"]["variant"] == "within_word_l2r"
    assert len(out["provenance"]["data"]["sha256"]) == 64


def test_table_names_the_accuracy_and_each_group(bert_model, bert_tok):
    run = cli("pairs", "--model", BERT, "--data", PAIRS, "--group-field", "UID")
    api = fm.score_pairs(bert_model, bert_tok, PAIRS, group_field="UID")
    assert run.status == 0 and run.err == ""
    assert f"accuracy       {100 * api.accuracy:.2f} % ({api.n_correct} of {api.n_pairs} pairs" in run.out
    for name, group in api.groups.items():
        assert f"  {name:<12} {100 * group['accuracy']:.2f} % of {group['count']}" in run.out


def test_html_page_carries_the_accuracy_group_chart_and_worst_pairs(tmp_path):
    page = tmp_path / "pairs.html"
    out = ok_json("pairs", "--model", BERT, "--data", PAIRS, "--group-field", "UID", "--html", page)
    metrics = html_metrics(page)
    assert metrics["accuracy"] == out["accuracy"] and metrics["n_pairs"] == len(out["pairs"])
    text = page.read_text(encoding="utf-8")
    assert 'data-chart="group-accuracy"' in text and 'data-chart="delta-pll"' in text
    worst = min(out["pairs"], key=lambda p: p["delta_pll"])
    table = text[text.index('<table class="pairs">'):]
    assert table.index(f'data-index="{worst["index"]}"') == table.index('data-index="')  # the worst pair comes first


def test_merged_shards_print_the_whole_runs_json(tmp_path):
    argv = ["pairs", "--model", BERT, "--data", PAIRS, "--group-field", "UID"]
    paths = [tmp_path / f"part-{i}{suffix}" for i, suffix in enumerate((".json", ".npz", ".json"))]
    for i, path in enumerate(paths):
        assert cli(*argv, "--shard", f"{i}/3", "--partial", path).status == 0
    merged = ok_json("merge", *reversed(paths))
    assert _figures(merged) == _figures(ok_json(*argv)) and merged["settings"]["shard"] is None
    run = cli("merge", *paths)
    assert run.status == 0 and "accuracy" in run.out and "agreement" in run.out


def _docs_section() -> str:
    """The docs page's minimal-pairs section (moved there from the README)."""
    page = (REPO / "docs" / "verbs" / "pairs.md").read_text(encoding="utf-8")
    return page.split("## Scoring minimal pairs\n", 1)[1].split("\n## ", 1)[0]


def _docs_runs() -> list[tuple[str, str]]:
    """(command, the output block right after it) of each ``bash`` block of the section."""
    return shown_runs(REPO / "docs" / "verbs" / "pairs.md", "Scoring minimal pairs")


@pytest.mark.parametrize("index", [0, 1], ids=["golden-bert", "splade-tiny"])
def test_the_docs_pairs_command_prints_the_table_shown(monkeypatch, index):
    command, shown = _docs_runs()[index]
    if "../shared/" in command:
        require_shared("real", "splade-tiny")
    monkeypatch.chdir(REPO)
    run = cli(*shlex.split(command)[1:])
    assert run.status == 0 and run.err == ""
    assert run.out.startswith(shown) and run.out[len(shown):].startswith("note: this model computes logits")


@pytest.mark.shared
def test_the_readme_pairs_command_on_splade_tiny_prints_the_table_shown(monkeypatch):
    command, shown = next(run for run in shown_runs(REPO / "README.md", "Scoring alternatives")
                          if run[0].startswith("fillmask-np pairs "))
    require_shared("real", "splade-tiny")
    monkeypatch.chdir(REPO)
    run = cli(*shlex.split(command)[1:])
    assert run.status == 0 and run.err == ""
    assert run.out.startswith(shown) and run.out[len(shown):].startswith("note: this model computes logits")


def test_the_docs_pairs_python_example_runs(bert_model, bert_tok):
    example = _docs_section().split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {"fm": fm, "model": bert_model, "tok": bert_tok}
    exec(example.replace("report.accuracy, ", "figures = report.accuracy, "), namespace)
    accuracy, good, bad = namespace["figures"]
    assert accuracy == float(good > bad) and good == namespace["report"].pairs[0]["good_pll"]
