"""The HTML report in a real browser: headless Chromium loads the golden model's report (``fillmask-np eval --html``)
offline, runs its script, and the DOM it dumps has the JSON report's metrics, the charts' SVG, one heat-map element
per masked token shown and no console error; a page made from hostile text stays inert. A screenshot is saved
as a test artifact. Chromium is the Debian package ``chromium`` (.ci/run installs it); skipped only when absent.

The rendering and the browser calls are docs/make_screenshot.py's, which also makes docs/report.png.
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
from html.parser import HTMLParser

import pytest

from fillmask_np.metrics import EVAL_REPORT_COUNTS
from fillmask_np.report.html import format_metric

from helpers import EVAL_TXT, REPO

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("make_screenshot", REPO / "docs" / "make_screenshot.py")
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)

HOSTILE = ['The cat <script>console.error("injected script ran")</script> sat on the mat.',
           "A dog <img src=x onerror=\"console.error('injected img ran')\"> ran to the park.",
           'He said "</div><style>body{display:none}</style>" and left.']


class Elements(HTMLParser):
    """A dumped DOM read back: every element's (tag, attributes), the text of ``#console-errors``, each metric's
    (exact value, text shown), and the page's text as a reader sees it (tooltips left out)."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.errors, self.text = "", ""
        self.metrics: dict[str, tuple[str, str]] = {}
        self._into: str | None = None  # "errors" or a metric's name, while inside it
        self._spans: list[bool] = []  # open <span>s: is it a tooltip
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        self.found.append((tag, a))
        if a.get("id") == "console-errors":
            self._into = "errors"
        elif "data-metric" in a:
            self._into = a["data-metric"]
            self.metrics[self._into] = (a["data-value"], "")
        if tag == "span":
            self._spans.append("tip" in a.get("class", "").split())

    def handle_endtag(self, tag: str) -> None:
        self._into = None
        if tag == "span":
            self._spans.pop()

    def handle_data(self, data: str) -> None:
        if self._into == "errors":
            self.errors += data
        elif self._into is not None:
            exact, text = self.metrics[self._into]
            self.metrics[self._into] = (exact, text + data)
        if not any(self._spans):
            self.text += data

    def having(self, tag: str, css: str) -> list[dict[str, str]]:
        return [a for t, a in self.found if t == tag and css in a.get("class", "").split()]


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = shots.find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    return binary


@pytest.fixture(scope="module")
def loaded(chromium, tmp_path_factory):
    """The golden run's page, --json report, token records, and the DOM and log Chromium gave."""
    page, printed, tokens = shots.render_golden(tmp_path_factory.mktemp("report"))
    records = [json.loads(line) for line in tokens.read_text(encoding="utf-8").splitlines()]
    dom, log = shots.dump_dom(chromium, page)
    return page, printed, records, dom, log


def test_the_script_ran_and_nothing_reached_the_console(loaded):
    _, _, _, dom, log = loaded
    root = re.search(r"<html[^>]*>", dom).group(0)
    assert 'data-ready="1"' in root  # the page's script ran to its load handler
    assert Elements(dom).errors == ""  # console.error, uncaught errors and blocked fetches would be here
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []


def test_the_metrics_in_the_dom_are_the_json_reports(loaded):
    _, printed, _, dom, _ = loaded
    shown = Elements(dom).metrics
    names = ("cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy", *EVAL_REPORT_COUNTS)
    assert set(names) <= set(shown)
    for name in names:
        exact, text = shown[name]
        assert json.loads(exact) == printed[name], name
        assert text == format_metric(name, printed[name]), name
    assert shown["cross_entropy"][1] == f"{printed['cross_entropy']:.4f}"
    assert shown["top1_accuracy"][1] == f"{100 * printed['top1_accuracy']:.2f} %"


def test_the_charts_are_svg_with_their_marks(loaded):
    dom = loaded[3]
    charts = re.findall(r'<svg class="chart" data-chart="([^"]+)"(.*?)</svg>', dom, flags=re.S)
    assert [name for name, _ in charts] == ["sample-ce", "token-loss", "loss-by-position", "accuracy-by-frequency",
                                            "calibration"]
    for name, body in charts:
        assert body.count("<rect") + body.count("<circle") >= 3, name


def test_the_heat_map_has_one_element_per_masked_token_shown(loaded):
    _, printed, records, dom, _ = loaded
    elements = Elements(dom)
    shown = {int(a["data-sample"]) for a in elements.having("div", "sample")}
    assert len(shown) == min(100, printed["n_scored_samples"])
    expected = sum(r["sample"] in shown for r in records)
    assert len(elements.having("span", "tok")) == len(elements.having("span", "tip")) == expected
    assert all(a.get("tabindex") == "0" and a["style"].startswith("background:#")
               for a in elements.having("span", "tok"))
    assert len(re.findall(r'<svg class="legend"', dom)) == 1


def test_hostile_text_is_shown_as_text_and_runs_nothing(chromium, tmp_path):
    data = tmp_path / "hostile.txt"
    data.write_text("\n".join(EVAL_TXT.read_text(encoding="utf-8").splitlines()[:8] + HOSTILE) + "\n",
                    encoding="utf-8")
    page, _, _ = shots.render_golden(tmp_path, data=data)
    dom, log = shots.dump_dom(chromium, page)
    elements = Elements(dom)
    assert elements.errors == "" and [line for line in log.splitlines() if ":CONSOLE" in line] == []
    assert [t for t, _ in elements.found if t in ("img", "style")] == ["style"]  # the page's own style sheet only
    assert len(re.findall(r"<script>", dom)) == 1
    for line in HOSTILE:  # each line, whole, as text
        assert line in elements.text


def test_a_screenshot_is_saved_as_an_artifact(chromium, loaded, tmp_path_factory):
    png = shots.screenshot(chromium, loaded[0], tmp_path_factory.mktemp("artifacts") / "report.png")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == shots.WINDOW
    print(f"screenshot: {png}")
