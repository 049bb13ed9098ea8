"""The HTML pages of an evaluation, a PLL run and a comparison, read back with the standard library's HTML
parser (no browser: tests/browser/ loads them in Chromium): metrics equal the report's, one chart per figure,
one heat-map element per scored token shown, text from the data escaped, outputs checked before writing."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.report.html import format_metric, html_report

from helpers import EVAL_TXT, GOLDEN, FixedLogits

TEXTS = EVAL_TXT.read_text(encoding="utf-8").split("\n")
EVIL = ['The cat <script>console.error("injected")</script> sat.', 'A "><img src=x onerror=alert(1)> dog & a mat.',
        "</div></span><b>bold</b> ran home."]


class Dom(HTMLParser):
    """Every element's tag and attributes, and the page's text as a reader sees it (tooltips left out)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.spans: list[bool] = []  # open <span>s: is it a tooltip
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "span":
            self.spans.append("tip" in (dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self.spans.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.spans):
            self.text.append(data)

    def having(self, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if (tag is None or t == tag)
                and all(v in a.get(k.rstrip("_").replace("_", "-"), "").split() for k, v in attrs.items())]


@pytest.fixture(scope="module")
def report(bert_model, bert_tok):
    return fm.evaluate(bert_model, bert_tok, EVAL_TXT, seed=0, return_tokens=True, return_top5=True)


@pytest.fixture(scope="module")
def page(report, bert_tok):
    return html_report(report, tokenizer=bert_tok, texts=EVAL_TXT, provenance={"model": {"sha256": "ab" * 32}})


def test_the_metrics_shown_are_the_reports_json(report, page):
    out = json.loads(json.dumps(report.to_dict()))
    shown = {}
    for tag, attrs in Dom(page).elements:
        if "data-metric" in attrs:
            shown[attrs["data-metric"]] = attrs["data-value"]
    assert {"cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy", "n_masked", "n_samples"} <= set(shown)
    for name, value in shown.items():
        assert json.loads(value) == out[name], name
    assert f">{format_metric('cross_entropy', out['cross_entropy'])}<" in page  # '>4.9925<'


def test_one_chart_per_figure_and_one_heat_map_element_per_masked_token_shown(report, page):
    dom = Dom(page)
    charts = [a["data-chart"] for a in dom.having("svg", class_="chart")]
    assert charts == ["sample-ce", "token-loss", "loss-by-position", "accuracy-by-frequency", "calibration"]
    shown = [int(a["data-sample"]) for a in dom.having("div", class_="sample")]
    assert len(shown) == len(set(shown)) == 100  # 50 worst + 50 of the other 78 scored samples
    expected = int(np.isin(report.tokens["sample"], shown).sum())
    assert len(dom.having("span", class_="tok")) == len(dom.having("span", class_="tip")) == expected
    assert sum(int(a["data-tokens"]) for a in dom.having("div", class_="sample")) == expected
    assert all(a.get("tabindex") == "0" for a in dom.having("span", class_="tok"))
    assert "50 samples with the highest cross-entropy and 50 of the other 78 drawn at random" in page


def test_the_worst_samples_come_first_by_cross_entropy(report, page):
    shown = [int(a["data-sample"]) for a in Dom(page).having("div", class_="sample")][:50]
    ce = dict(zip(report.per_sample["index"], report.per_sample["cross_entropy"]))
    assert [ce[i] for i in shown] == sorted(ce.values(), reverse=True)[:50]


def test_a_tooltip_names_the_label_its_rank_and_the_top5(report, page, bert_tok):
    t = report.tokens
    j = int(np.argmax(t["loss"]))
    label = bert_tok.convert_ids_to_tokens([int(t["label"][j])])[0]
    assert f"<b>label</b> {label} (id {int(t['label'][j])}) &middot; rank {int(t['rank'][j])}" in page
    assert page.count('<span class="t5">top-5 of the model:') == len(Dom(page).having("span", class_="tok"))


def test_the_provenance_and_the_settings_are_shown(page):
    assert "ab" * 32 in page and "model.sha256" in page and "masking" in page


def test_text_from_the_data_is_escaped_on_every_page(bert_model, bert_tok):
    texts = TEXTS[:6] + EVIL
    pages = [html_report(fm.evaluate(bert_model, bert_tok, texts, seed=1, return_tokens=True, return_top5=True),
                         tokenizer=bert_tok, texts=texts),
             html_report(fm.pseudo_log_likelihood(bert_model, bert_tok, texts, return_tokens=True),
                         tokenizer=bert_tok, texts=texts),
             html_report(fm.compare(_far_worse(), bert_model, bert_tok, texts, seed=1, bootstrap=0), texts=texts)]
    for page in pages:
        dom = Dom(page)
        assert page.count("<script>") == 1  # the page's own
        assert not dom.having("img") and "<img" not in page and "<b>bold</b>" not in page
        words = "".join(dom.text)
        assert 'console.error("injected")' in words and "onerror=alert(1)" in words and "</div></span>" in words


def test_without_the_data_a_sample_shows_its_masked_tokens(report, bert_tok):
    dom = Dom(html_report(report, tokenizer=bert_tok, samples=5))
    shown = [int(a["data-sample"]) for a in dom.having("div", class_="sample")]
    assert len(shown) == 10
    assert len(dom.having("span", class_="tok")) == int(np.isin(report.tokens["sample"], shown).sum())


def test_texts_that_are_not_the_reports_are_refused(report, bert_tok):
    with pytest.raises(fm.DataError, match="the texts do not match this report"):
        html_report(report, tokenizer=bert_tok, texts=["zebra " * 40] * 200)


def test_a_report_without_records_still_renders_its_summary(bert_model, bert_tok):
    page = html_report(fm.evaluate(bert_model, bert_tok, TEXTS[:20]), tokenizer=bert_tok, texts=TEXTS[:20])
    assert [a["data-chart"] for a in Dom(page).having("svg", class_="chart")] == ["sample-ce"]
    assert "return_tokens=True" in page


def test_the_pll_page_colours_every_scored_token_shown(bert_model, bert_tok):
    report = fm.pseudo_log_likelihood(bert_model, bert_tok, TEXTS[:30], return_tokens=True)
    dom = Dom(html_report(report, tokenizer=bert_tok, texts=TEXTS[:30], samples=5))
    assert [a["data-chart"] for a in dom.having("svg", class_="chart")] == [
        "sample-pppl", "token-nll", "nll-by-position", "accuracy-by-frequency"]
    shown = [int(a["data-sample"]) for a in dom.having("div", class_="sample")]
    assert len(shown) == 10
    assert len(dom.having("span", class_="tok")) == int(np.isin(report.tokens["sample"], shown).sum())
    values = {a["data-metric"]: json.loads(a["data-value"]) for a in dom.having() if "data-metric" in a}
    assert values["pseudo_perplexity"] == report.pseudo_perplexity and values["variant"] == report.variant


def _far_worse() -> FixedLogits:
    """A candidate far worse than the golden BERT on every sample (so the compare page lists every sample's text):
    log P = -50 for every token but [PAD]."""
    row = np.zeros(1000, dtype=np.float32)
    row[0] = 50.0
    return FixedLogits(row)


def _fp16():
    return fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_fp16")


def test_the_compare_page_shows_the_verdict_and_whatever_criteria_it_has(bert_model, bert_tok):
    report = fm.compare(_fp16(), bert_model, bert_tok, TEXTS[:40], bootstrap=50)
    page = html_report(report, texts=TEXTS[:40], samples=7)
    dom = Dom(page)
    assert ('<p id="profile">profile <b>fidelity</b>: neither model has quantized operators: a float conversion, '
            'judged against float noise</p>') in page
    assert [a["data-chart"] for a in dom.having("svg", class_="chart")] == ["sample-delta-ce", "agreement"]
    assert len(dom.having("tr")) >= 8 and len([a for a in dom.having("tr") if "data-sample" in a]) == 7
    values = {a["data-metric"]: json.loads(a["data-value"]) for a in dom.having() if "data-metric" in a}
    assert values["top1_agreement"] == report.top1_agreement and values["delta_ci95"] == report.delta_ci95
    criteria = list(getattr(report, "criteria", []) or [])
    assert len([a for a in dom.having("tr") if "data-criterion" in a]) == len(criteria)
    if criteria:
        bare = html_report(dataclasses.replace(report, criteria=[], reasons=[]))
        assert 'id="criteria"' not in bare and f'verdict-{report.verdict}' in bare


def test_render_html_checks_the_path_first_and_writes_atomically(report, bert_tok, bert_model, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("\n".join(TEXTS), encoding="utf-8")
    before = data.read_bytes()
    with pytest.raises(fm.InputFileError, match="is an input of this run"):
        fm.render_html(report, data, tokenizer=bert_tok, texts=data)
    assert data.read_bytes() == before
    with pytest.raises(fm.InputFileError, match="directory"):
        fm.render_html(report, tmp_path, tokenizer=bert_tok)
    out = fm.render_html(report, tmp_path / "r.html", tokenizer=bert_tok, texts=data, model=bert_model)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "provenance.data.sha256" not in page and "data.sha256" in page
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_render_html_refuses_what_it_cannot_render(report):
    with pytest.raises(fm.FillMaskError, match="tokenizer="):
        fm.render_html(report, "unused.html")
    with pytest.raises(fm.FillMaskError, match="EvalReport, PLLReport or CompareReport"):
        html_report({"cross_entropy": 1.0})
    with pytest.raises(fm.FillMaskError, match="samples"):
        html_report(report, samples=-1)


def test_the_worst_tokens_are_listed_with_their_context_when_asked_for(bert_model, bert_tok):
    report = fm.evaluate(bert_model, bert_tok, TEXTS[:30] + EVIL, seed=2, return_tokens=True, worst=40)
    page = html_report(report, tokenizer=bert_tok, texts=TEXTS[:30] + EVIL)
    assert 'id="worst-tokens"' in page and page.count("[[") >= len(report.worst_tokens)
    assert "<img" not in page and page.count("<script>") == 1
    assert 'id="worst-tokens"' not in html_report(fm.evaluate(bert_model, bert_tok, TEXTS[:5], return_tokens=True),
                                                  tokenizer=bert_tok)


@pytest.mark.parametrize(("values", "shown"), [([0.0021, 0.0345], "[2.100e-03, 3.450e-02]"),
                                               ([-0.0345, 0.0021], "[-3.450e-02, 2.100e-03]"),
                                               ([0.021, 0.0345], "[0.0210, 0.0345]"),
                                               ([0.0, 0.5], "[0.0000, 0.5000]")])
def test_an_interval_shows_both_ends_in_one_format(values, shown):
    assert format_metric("delta_ci95", values) == shown
