"""The variant-scoring page in a real browser: headless Chromium loads the page ``fillmask-np variants --html`` writes
for the golden ESM on a deep-mutational scan of the first residues, and the DOM it dumps is read as a person reads
it: the script ran without a console error, the cards show the JSON's figures, the heat map has one cell per single
substitution at its position's column and its residue's row, with the wild-type residue outlined in each column.

Chromium is the Debian package ``chromium`` (.ci/run installs it); skipped only when absent.
"""

from __future__ import annotations

import csv

import pytest

from helpers import GOLDEN
from helpers.chromium import rendered_dom
from helpers.cli_runs import ok_json
from helpers.page_dom import CardsOutline

pytestmark = [pytest.mark.slow, pytest.mark.cli]

ESM = GOLDEN / "models" / "esm"
WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
SCANNED = 8  # residues scanned: every substitution at each


class HeatOutline(CardsOutline):
    """The dumped DOM: each heat-map cell's (mutation, score, x, y), each wild-type box's (x, y), the metric cards'
    texts and the console-errors box."""

    def __init__(self, dom: str) -> None:
        self.cells: list[tuple[str, float, float, float]] = []
        self.wild: list[tuple[float, float]] = []
        super().__init__(dom)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "rect" and attrs.get("class") == "cell":
            self.cells.append((attrs["data-mutation"], float(attrs["data-score"]), float(attrs["x"]),
                               float(attrs["y"])))
        elif tag == "rect" and attrs.get("class") == "wt":
            self.wild.append((float(attrs["x"]), float(attrs["y"])))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[HeatOutline, str, dict]:
    folder = tmp_path_factory.mktemp("variants")
    table = folder / "scan.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        rows = [(f"{w}{i + 1}{a}", k % 7) for i, w in enumerate(WILD[:SCANNED]) for k, a in enumerate(AMINO_ACIDS)
                if a != w]
        csv.writer(handle).writerows([("mutant", "DMS_score"), *rows])
    html = folder / "variants.html"
    printed = ok_json("variants", "--model", ESM, "--sequence", WILD, "--mutations", table,
                      "--strategy", "masked-marginals", "--html", html)
    dom = rendered_dom(html)
    return HeatOutline(dom), dom, printed


def test_the_page_script_ran_without_a_console_error(page):
    outline, dom, _ = page
    assert 'data-ready="1"' in dom and outline.errors.strip() == ""


def test_the_cards_show_the_runs_figures(page):
    outline, _, printed = page
    assert outline.metrics["strategy"] == "masked-marginals"
    assert outline.metrics["n_mutations"] == str(len(printed["scores"])) == str(19 * SCANNED)
    assert outline.metrics["spearman"] == f"{printed['spearman']:.4f}"


def test_every_substitution_is_one_cell_in_its_position_column_and_residue_row(page):
    outline, _, printed = page
    scores = dict(zip(printed["mutations"], printed["scores"]))
    assert sorted(c[0] for c in outline.cells) == sorted(scores)
    columns = {x for _, _, x, _ in outline.cells}
    assert len(columns) == SCANNED
    for mutation, score, x, y in outline.cells:
        assert score == scores[mutation]
        same_column = sorted(c[3] for c in outline.cells if int(c[0][1:-1]) == int(mutation[1:-1]))
        same_row = {c[3] for c in outline.cells if c[0][-1] == mutation[-1]}
        assert x == sorted(columns)[int(mutation[1:-1]) - 1] and same_row == {y} and len(same_column) == 19


def test_each_column_outlines_its_wild_type_residue_where_no_cell_is(page):
    outline, _, _ = page
    assert len(outline.wild) == SCANNED
    occupied = {(x, y) for _, _, x, y in outline.cells}
    assert not occupied & set(outline.wild)
