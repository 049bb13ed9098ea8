"""The minimal-pairs page in a real browser: headless Chromium loads the page ``fillmask-np pairs --html`` writes for
the golden BERT on the hand-written pairs, and the DOM it dumps is read as a person reads it: the script ran without
a console error, the accuracy card shows the JSON's accuracy, one bar per group, and the "most wrong" table lists
every pair from the lowest PLL(good) - PLL(bad) up, with both sentences.

Chromium is the Debian package ``chromium`` (.ci/run installs it); skipped only when absent.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import GOLDEN
from helpers.chromium import rendered_dom
from helpers.cli_runs import ok_json
from helpers.page_dom import CardsOutline

pytestmark = [pytest.mark.slow, pytest.mark.cli]

BERT = GOLDEN / "models" / "bert"
PAIRS = GOLDEN / "text" / "minimal_pairs.jsonl"


class PairsOutline(CardsOutline):
    """Besides the cards and the console-errors box: the rows of the "most wrong" table (index, cell texts) and the
    bars of the group chart."""

    def __init__(self, dom: str) -> None:
        self.rows: list[tuple[int, list[str]]] = []
        self.group_bars = 0
        self._chart = ""
        super().__init__(dom)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "svg":
            self._chart = attrs.get("data-chart", "")
        elif tag == "rect" and self._chart == "group-accuracy" and "bar" in attrs.get("class", ""):
            self.group_bars += 1
        elif tag == "tr" and "data-index" in attrs:
            self.rows.append((int(attrs["data-index"]), []))
        elif tag == "td" and self.rows:
            self._into, self._text = "cell", ""

    def handle_endtag(self, tag: str) -> None:
        if self._into == "cell" and tag == "td":
            self.rows[-1][1].append(self._text)
            self._into = None
        else:
            super().handle_endtag(tag)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[PairsOutline, str, dict]:
    html = tmp_path_factory.mktemp("pairs") / "pairs.html"
    printed = ok_json("pairs", "--model", BERT, "--data", PAIRS, "--group-field", "UID", "--html", html)
    dom = rendered_dom(html)
    return PairsOutline(dom), dom, printed


def test_the_page_script_ran_without_a_console_error(page):
    outline, dom, _ = page
    assert 'data-ready="1"' in dom and outline.errors.strip() == ""


def test_the_accuracy_card_shows_the_runs_accuracy(page):
    outline, _, printed = page
    assert outline.metrics["accuracy"] == f"{100 * printed['accuracy']:.2f} %"
    assert outline.metrics["n_pairs"] == str(len(printed["pairs"]))


def test_the_group_chart_has_one_bar_per_group(page):
    outline, _, printed = page
    assert outline.group_bars == len(printed["groups"]) > 1


def test_the_most_wrong_table_lists_every_pair_from_the_lowest_delta_pll_up(page):
    outline, _, printed = page
    by_index = {p["index"]: p for p in printed["pairs"]}
    shown = [index for index, _ in outline.rows]
    assert sorted(shown) == sorted(by_index)
    deltas = [by_index[i]["delta_pll"] for i in shown]
    assert deltas == sorted(deltas)
    for index, cells in outline.rows:
        pair = by_index[index]
        assert cells[2] == pair["good"] and cells[3] == pair["bad"]
        assert float(re.sub(r"[^0-9.e-]", "", cells[6])) == pytest.approx(pair["delta_pll"], abs=5e-5)
    assert json.dumps(printed["groups"])  # the groups the chart draws are the JSON's
