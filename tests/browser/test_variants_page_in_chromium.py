"""The variant-scoring page in a real browser: headless Chromium loads the page ``fillmask-np variants --html`` writes
for the golden ESM on a deep-mutational scan of the first residues, and the DOM it dumps is read as a person reads
it: the script ran without a console error, the cards show the JSON's figures, the heat map has one cell per single
substitution at its position's column and its residue's row, with the wild-type residue outlined in each column.

Chromium is the Debian package ``chromium`` (.ci/run installs it); skipped only when absent.
"""

from __future__ import annotations

import csv
import importlib.util
from html.parser import HTMLParser

import pytest

from helpers import GOLDEN, REPO
from helpers.cli_runs import ok_json

pytestmark = [pytest.mark.slow, pytest.mark.cli]

_spec = importlib.util.spec_from_file_location("make_screenshot", REPO / "docs" / "make_screenshot.py")
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)

ESM = GOLDEN / "models" / "esm"
WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
SCANNED = 8  # residues scanned: every substitution at each


class HeatOutline(HTMLParser):
    """The dumped DOM: each heat-map cell's (mutation, score, x, y), each wild-type box's (x, y), the metric cards'
    texts and the console-errors box."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.cells: list[tuple[str, float, float, float]] = []
        self.wild: list[tuple[float, float]] = []
        self.metrics: dict[str, str] = {}
        self.errors = ""
        self._into: str | None = None
        self._text = ""
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "rect" and a.get("class") == "cell":
            self.cells.append((a["data-mutation"], float(a["data-score"]), float(a["x"]), float(a["y"])))
        elif tag == "rect" and a.get("class") == "wt":
            self.wild.append((float(a["x"]), float(a["y"])))
        elif "data-metric" in a:
            self._into, self._text = "metric:" + a["data-metric"], ""
        elif a.get("id") == "console-errors":
            self._into, self._text = "errors", ""

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._into and self._into.startswith("metric:") and tag == "div":
            self.metrics[self._into.split(":", 1)[1]] = self._text
        elif self._into == "errors" and tag == "pre":
            self.errors = self._text
        else:
            return
        self._into = None


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[HeatOutline, str, dict]:
    binary = shots.find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("variants")
    table = folder / "scan.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        rows = [(f"{w}{i + 1}{a}", k % 7) for i, w in enumerate(WILD[:SCANNED]) for k, a in enumerate(AMINO_ACIDS)
                if a != w]
        csv.writer(handle).writerows([("mutant", "DMS_score"), *rows])
    html = folder / "variants.html"
    printed = ok_json("variants", "--model", ESM, "--sequence", WILD, "--mutations", table,
                      "--strategy", "masked-marginals", "--html", html)
    dom, _ = shots.dump_dom(binary, html)
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
