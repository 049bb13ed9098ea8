"""``PairsReport`` from hand-made totals: accuracy, ties and groups by hand, the page escapes the sentences and lists
the most wrong pair first, and ``fm.render_html`` writes it with the model's provenance."""

from __future__ import annotations

import re

import pytest

import fillmask_np as fm
from fillmask_np.metrics import PairTotals
from fillmask_np.report import PairsReport
from fillmask_np.report.html import html_report

ROWS = [  # (good, bad, group, good_pll, bad_pll)
    ("a <b>bold</b> claim", "a bold claims", "g&1", -10.0, -12.5),
    ("two", "too", "g&1", -3.0, -3.0),
    ("<script>alert(1)</script>", "x", "g2", -20.0, -5.0),
    ("fine", "fin", "g2", -1.0, -2.0),
]


def _report(group_field: str | None = "UID") -> PairsReport:
    totals = PairTotals()
    for k, (good, bad, group, good_pll, bad_pll) in enumerate(ROWS):
        totals.add(dict(index=k, position=k, good=good, bad=bad, group=group, good_pll=good_pll, bad_pll=bad_pll,
                        good_tokens=3, bad_tokens=3))
    totals.counts.update(n_pairs=len(ROWS), n_tokens=40, text_tokens=24)
    return PairsReport.from_totals(totals, "original", {"group_field": group_field, "max_length": 128})


def test_accuracy_ties_mean_delta_and_groups_are_counted_from_the_plls():
    report = _report()
    assert (report.n_correct, report.n_ties, report.accuracy) == (2, 1, 0.5)
    assert report.mean_delta_pll == pytest.approx((2.5 + 0.0 - 15.0 + 1.0) / 4)
    assert report.groups == {"g&1": {"accuracy": 0.5, "count": 2}, "g2": {"accuracy": 0.5, "count": 2}}
    assert _report(group_field=None).groups is None


def test_the_page_escapes_every_sentence_and_lists_the_most_wrong_pair_first():
    page = html_report(_report())
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in page and "g&amp;1" in page
    table = page[page.index('<table class="pairs">'):]
    assert re.findall(r'data-index="(\d+)"', table) == ["2", "1", "3", "0"]  # lowest PLL(good) - PLL(bad) first


def test_render_html_writes_the_page_with_the_models_provenance(tmp_path, bert_model):
    path = fm.render_html(_report(), tmp_path / "pairs.html", model=bert_model)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and bert_model.describe()["sha256"] in page
