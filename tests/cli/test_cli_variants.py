"""``fillmask-np variants``: the input table with a score column (CSV, TSV, Parquet), the JSON report (scores in
input order, strategy, Spearman against DMS_score), --fasta as --sequence, the printed table and the HTML page."""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.metrics.rank_correlation import spearman
from helpers import GOLDEN, REPO, load_golden
from helpers.cli_runs import cli, html_metrics, ok_json
from helpers.shown_runs import shown_runs

pytestmark = pytest.mark.cli

ESM = GOLDEN / "models" / "esm"
WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
ROWS = [("A2T", "0.5", "x"), ("R13T", "-1.25", "y"), ("A2T:R13T", "2", "z"), ("M1W", "0.75", "w")]


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A ProteinGym-style mutations table: mutant, DMS_score and a column that must come through untouched."""
    path = tmp_path / "dms.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("mutant", "DMS_score", "note"), *ROWS])
    return path


def _api(strategy: str) -> list[float]:
    model, tok = load_golden("esm")
    return fm.score_variants(model, tok, WILD, [r[0] for r in ROWS], strategy=strategy).scores


@pytest.mark.parametrize("strategy", ["wt-marginals", "masked-marginals", "pseudo-ppl"])
def test_json_has_the_scores_in_input_order_the_strategy_and_spearman_against_dms_score(table, strategy):
    out = ok_json("variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "--strategy", strategy)
    assert out["strategy"] == strategy and out["mutations"] == [r[0] for r in ROWS]
    assert out["scores"] == _api(strategy)
    assert out["target_column"] == "DMS_score" and out["n_targets"] == len(ROWS)
    assert out["spearman"] == spearman(np.array(out["scores"]), np.array([float(r[1]) for r in ROWS]))


def test_output_csv_is_the_input_table_with_a_score_column(table, tmp_path):
    scored = tmp_path / "scored.csv"
    run = cli("variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "-o", scored,
              "--strategy", "masked-marginals")
    assert run.status == 0, run.err
    rows = list(csv.reader(scored.open(encoding="utf-8")))
    assert rows[0] == ["mutant", "DMS_score", "note", "score"]
    assert [tuple(r[:3]) for r in rows[1:]] == ROWS
    assert [float(r[3]) for r in rows[1:]] == _api("masked-marginals")  # exact: floats written by repr
    assert "spearman" in run.out and "masked-marginals" in run.out


def test_output_parquet_keeps_the_columns_and_adds_float64_scores(table, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    scored = tmp_path / "scored.parquet"
    assert cli("variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "-o", scored).status == 0
    written = pq.read_table(scored)
    assert written.column_names == ["mutant", "DMS_score", "note", "score"]
    assert written.column("score").to_pylist() == _api("wt-marginals")


def test_a_tsv_table_with_another_mutation_column_and_offset(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("id\tvariant\n1\tA1T\n2\tR12T\n", encoding="utf-8")  # 0-based positions
    out = ok_json("variants", "--model", ESM, "--sequence", WILD, "--mutations", path, "--mutation-column",
                  "variant", "--offset", "0")
    assert out["scores"] == _api("wt-marginals")[:2] and out["target_column"] is None and out["spearman"] is None


def test_fasta_gives_the_same_scores_as_the_sequence(table, tmp_path):
    fasta = tmp_path / "wt.fasta"
    fasta.write_text(f">wild type\n{WILD[:30]}\n{WILD[30:]}\n", encoding="utf-8")
    out = ok_json("variants", "--model", ESM, "--fasta", fasta, "--mutations", table)
    assert out["scores"] == _api("wt-marginals")


def test_the_html_page_carries_the_heat_map_and_the_figures(table, tmp_path):
    page = tmp_path / "v.html"
    out = ok_json("variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "--html", page)
    metrics = html_metrics(page)
    assert metrics["spearman"] == out["spearman"] and metrics["n_mutations"] == len(ROWS)
    text = page.read_text(encoding="utf-8")
    assert text.count('class="cell"') == 3  # the single substitutions; the double is not a cell
    assert 'data-mutation="A2T"' in text and 'data-chart="score-distribution"' in text


def _docs_section() -> str:
    """The docs page's variants section (moved there from the README)."""
    page = (REPO / "docs" / "verbs" / "variants.md").read_text(encoding="utf-8")
    return page.split("## Scoring variants\n", 1)[1].split("\n## ", 1)[0]


def test_the_docs_variants_command_prints_the_table_shown(monkeypatch):
    command, shown = shown_runs(REPO / "docs" / "verbs" / "variants.md", "Scoring variants")[0]
    monkeypatch.chdir(REPO)
    run = cli(*shlex.split(command)[1:])
    assert (run.status, run.err, run.out) == (0, "", shown)


def test_the_readme_variants_command_prints_the_table_shown(monkeypatch):
    command, shown = next(run for run in shown_runs(REPO / "README.md", "Scoring alternatives")
                          if run[0].startswith("fillmask-np variants "))
    monkeypatch.chdir(REPO)
    run = cli(*shlex.split(command)[1:])
    assert (run.status, run.err, run.out) == (0, "", shown)


def test_the_docs_variants_python_example_runs():
    example = _docs_section().split("```python\n", 1)[1].split("```", 1)[0]
    model, tok = load_golden("esm")
    namespace = {"fm": fm, "model": model, "tok": tok}
    exec(example, namespace)
    shown = re.search(r"\[(-[\d.]+)\.\.\., (-[\d.]+)\.\.\.\]", example).groups()
    assert [f"{s:.4f}" for s in namespace["report"].scores] == list(shown)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_shards_merge_into_the_whole_runs_scores_and_spearman(table, tmp_path, suffix):
    argv = ["variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "--strategy", "pseudo-ppl"]
    whole = ok_json(*argv)
    paths = [tmp_path / f"part-{i}{suffix}" for i in range(3)]
    for i, path in enumerate(paths):
        shard = ok_json(*argv, "--shard", f"{i}/3", "--partial", path)
        assert shard["indices"] == list(range(i, len(ROWS), 3))
        assert shard["scores"] == [whole["scores"][k] for k in shard["indices"]]
    merged = ok_json("merge", *paths[::-1])
    for key in ("mutations", "scores", "spearman", "n_targets", "strategy", "indices"):
        assert merged[key] == whole[key], key
    missing = cli("merge", *paths[:2])
    assert missing.status == 2 and "shard 2 of 3 is missing" in missing.err


def test_a_shards_output_table_holds_its_own_rows(table, tmp_path):
    scored = tmp_path / "shard.csv"
    assert cli("variants", "--model", ESM, "--sequence", WILD, "--mutations", table, "--shard", "1/2", "-o",
               scored).status == 0
    rows = list(csv.reader(scored.open(encoding="utf-8")))
    assert [r[0] for r in rows[1:]] == [ROWS[1][0], ROWS[3][0]]
