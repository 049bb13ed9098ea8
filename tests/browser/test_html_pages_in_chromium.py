"""The pseudo-perplexity and comparison pages in a real browser: headless Chromium loads the pages that
``fillmask-np pppl --html`` and ``fillmask-np compare --html`` write for the golden BERT, and the DOM it dumps is read
as a person reads the page: no heading without content under it, only samples that got worse under "got most worse",
one number format per card and per table (a criterion's figures in its reason's unit), no label that ends in a dot.

Chromium is the Debian package ``chromium`` (.ci/run installs it); skipped only when absent.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from html.parser import HTMLParser

import pytest

from fillmask_np.cli import main

from helpers import EVAL_TXT, GOLDEN
from helpers.chromium import rendered_dom

pytestmark = [pytest.mark.slow, pytest.mark.cli]

BERT = GOLDEN / "models" / "bert"


class Outline(HTMLParser):
    """A dumped DOM read back as a reader meets it: each ``<h3>`` of a section with the sample blocks under it, the
    rows of the "got most worse" table, each metric card's text, and the settings/provenance labels."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.section = ""
        self.headings: list[tuple[str, str, int]] = []  # (section, heading text, sample blocks under it)
        self.worse_rows: list[int] = []
        self.metrics: dict[str, str] = {}
        self.labels: list[str] = []
        self._text: str | None = None
        self._into: tuple[str, str] | None = None
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.section = a.get("id", "")
        elif tag == "h3":
            self._into, self._text = ("h3", ""), ""
        elif tag == "div" and "sample" in a.get("class", "").split() and self.headings:
            s, h, n = self.headings[-1]
            self.headings[-1] = (s, h, n + 1)
        elif tag == "tr" and self.section == "worse" and "data-sample" in a:
            self.worse_rows.append(int(a["data-sample"]))
        elif "data-metric" in a:
            self._into, self._text = ("metric", a["data-metric"]), ""
        elif tag == "th" and self.section == "provenance":
            self._into, self._text = ("label", ""), ""

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._into is None or self._text is None:
            return
        kind, name = self._into
        if kind == "h3" and tag == "h3":
            self.headings.append((self.section, self._text, 0))
        elif kind == "metric" and tag == "div":
            self.metrics[name] = self._text
        elif kind == "label" and tag == "th":
            self.labels.append(self._text)
        else:
            return
        self._into = self._text = None


def _run(argv: list[str]) -> dict:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) in (0, 1), argv  # compare exits 1 on a REGRESSION verdict
    return json.loads(printed.getvalue())


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, tuple[Outline, dict, str]]:
    """The pppl page of 6 samples (fewer than the page shows, so nothing is left to draw) and the comparison page
    of the golden BERT's ONNX export against its own checkpoint, each as Chromium rendered it, with its --json."""
    tmp = tmp_path_factory.mktemp("pages")
    data = tmp / "six.txt"
    data.write_text("\n".join(EVAL_TXT.read_text(encoding="utf-8").splitlines()[:6]) + "\n", encoding="utf-8")
    out = {}
    pppl = _run(["pppl", "--model", str(BERT), "--data", str(data), "--html", str(tmp / "pppl.html"), "--json"])
    compare = _run(["compare", "--model", str(BERT / "model.onnx"), "--reference", str(BERT), "--reference-backend",
                    "numpy", "--data", str(EVAL_TXT), "--html", str(tmp / "compare.html"), "--json"])
    for name, printed in (("pppl", pppl), ("compare", compare)):
        dom = rendered_dom(tmp / f"{name}.html")
        out[name] = (Outline(dom), printed, dom)
    return out


def test_every_sample_heading_of_the_pppl_page_has_samples_under_it(pages):
    outline = pages["pppl"][0]
    headings = [(text, n) for section, text, n in outline.headings if section == "samples"]
    assert headings and all(n > 0 for _, n in headings), headings
    assert sum(n for _, n in headings) == 6


def test_got_most_worse_lists_only_samples_whose_cross_entropy_rose(pages):
    outline, printed, _ = pages["compare"]
    ref = dict(zip(printed["reference"]["per_sample"]["index"], printed["reference"]["per_sample"]["cross_entropy"]))
    cand = dict(zip(printed["candidate"]["per_sample"]["index"], printed["candidate"]["per_sample"]["cross_entropy"]))
    rose = {i for i in ref if cand[i] > ref[i]}
    assert set(outline.worse_rows) <= rose
    assert len(outline.worse_rows) == min(50, len(rose))
    assert any(cand[i] < ref[i] for i in ref)  # the export and its checkpoint differ in float noise both ways


def test_the_interval_card_shows_both_ends_in_one_format(pages):
    outline = pages["compare"][0]
    numbers = re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", outline.metrics["delta_ci95"])
    assert len(numbers) == 2
    assert len({("e" in n, len(n.split("e")[0].split(".")[1])) for n in numbers}) == 1, numbers


def test_no_settings_or_provenance_label_ends_in_a_dot(pages):
    for name in ("pppl", "compare"):
        labels = pages[name][0].labels
        assert labels and not [label for label in labels if label.endswith(".")], name
    assert any(label.endswith("opsets.ai.onnx") for label in pages["compare"][0].labels)


def test_each_criterion_shows_its_figures_as_its_reason_line_does(pages):
    dom = pages["compare"][2]
    table = re.search(r'<table class="grid" id="criteria">(.*?)</table>', dom, flags=re.S).group(1)
    head = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table)]
    rows = re.findall(r'<tr data-criterion="([^"]+)">(.*?)</tr>', table, flags=re.S)
    assert len(rows) >= 4
    for name, body in rows:
        cells = dict(zip(head, (html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body, flags=re.S))))
        limit = cells["at_risk"] if cells["status"] in ("PASS", "AT_RISK") else cells["regression"]
        assert cells["value"] in cells["reason"] and limit in cells["reason"], (name, cells)
