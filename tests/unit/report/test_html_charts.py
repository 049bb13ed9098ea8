"""The HTML report's pieces without a browser: what the charts plot (loss by position, accuracy by frequency,
calibration, the samples shown), the SVG primitives, the colour scale, escaping and metric formatting."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fillmask_np.report.html import escape, format_metric
from fillmask_np.report.html.charts import bar_chart, histogram, line_chart, nice_ticks, reliability_chart
from fillmask_np.report.html.heatmap import Mark, heat_color, mark_text, scale_max
from fillmask_np.report.html.page import flatten, metric_cards
from fillmask_np.report.html.stats import by_position, calibration, frequency_buckets, pick_samples


def test_by_position_groups_positions_into_at_most_the_buckets_asked():
    positions = np.arange(100)
    first, last, mean, count = by_position(positions, positions.astype(float), max_buckets=10)
    assert len(first) == 10 and count.tolist() == [10] * 10
    assert first.tolist() == list(range(0, 100, 10)) and last.tolist() == list(range(9, 100, 10))
    assert mean.tolist() == [4.5 + 10 * k for k in range(10)]


def test_frequency_buckets_are_powers_of_two_of_the_label_count():
    labels = np.array([1] * 5 + [2] * 2 + [3])  # 5 -> "4-7", 2 -> "2-3", 1 -> "1"
    hits = np.array([1, 1, 1, 1, 0, 1, 0, 0], dtype=bool)
    names, acc, count = frequency_buckets(labels, hits)
    assert names == ["1", "2-3", "4-7"] and count.tolist() == [1, 2, 5] and acc.tolist() == [0.0, 0.5, 0.8]


def test_calibration_bins_and_expected_calibration_error():
    p = np.array([0.05, 0.15, 0.95, 0.95, 1.0])
    hits = np.array([0, 0, 1, 1, 0], dtype=bool)
    c = calibration(p, hits, bins=10)
    assert c.counts.tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert c.accuracy[9] == pytest.approx(2 / 3) and c.confidence[9] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    expected = (0.05 + 0.15 + 3 * abs(2 / 3 - 2.9 / 3)) / 5
    assert c.ece == pytest.approx(expected)


def test_samples_shown_are_the_worst_and_a_seeded_draw_of_the_rest():
    score = np.random.default_rng(0).normal(size=200)
    worst, drawn = pick_samples(score, 10, 15, seed=4)
    assert worst == np.argsort(-score, kind="stable")[:10].tolist()
    assert len(drawn) == 15 and not set(drawn) & set(worst) and drawn == sorted(drawn)
    assert pick_samples(score, 10, 15, seed=4) == (worst, drawn)
    assert pick_samples(score, 10, 15, seed=5)[1] != drawn
    assert pick_samples(score[:5], 10, 10, seed=0) == (np.argsort(-score[:5], kind="stable").tolist(), [])


def test_nice_ticks_cover_the_range_with_round_steps():
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3, 3) == [3]
    ticks = nice_ticks(-2.3, 17.9)
    assert ticks[0] <= -2.3 and ticks[-1] >= 17.9


def test_histogram_draws_one_bar_per_bin_with_the_counts_in_titles():
    values = np.array([0.0, 0.1, 0.2, 5.0, np.inf, np.nan])
    svg = histogram(values, name="h", title="t", caption="c", xlabel="x", bins=5)
    assert svg.count('<rect class="bar"') == 5
    assert sum(int(n) for n in re.findall(r"\): (\d+)</title>", svg)) == 4  # the finite values
    assert 'data-chart="h"' in svg and "(4 values)" in svg


def test_line_bar_and_reliability_charts_are_svg_with_a_title_per_mark():
    line = line_chart(np.array([1.0, 2.0]), np.array([3.0, 4.0]), ["a", "b"], name="l", title="t", caption="c",
                      xlabel="x", ylabel="y")
    assert line.count("<circle") == 2 and "<polyline" in line
    bars = bar_chart(["x", "y", "z"], [0.1, 0.5, 1.0], ["1", "2", "3"], name="b", title="t", caption="c", xlabel="",
                     ylabel="y", y_max=1.0)
    assert bars.count('<rect class="bar"') == 3
    c = calibration(np.array([0.1, 0.9]), np.array([False, True]), bins=10)
    rel = reliability_chart(c.edges, c.confidence, c.accuracy, c.counts, name="r", title="t", caption="c")
    assert rel.count('<rect class="bar"') == 2 and 'class="ideal"' in rel


def test_colour_scale_runs_from_pale_to_dark_and_clips():
    assert heat_color(0, 4)[0] == "#ffffcc" and heat_color(4, 4)[0] == heat_color(99, 4)[0] == "#800026"
    assert heat_color(float("inf"), 4)[0] == "#800026"
    assert scale_max(np.array([0.1, 0.2])) == 1.0


def test_marked_text_escapes_everything_and_keeps_one_span_per_mark():
    text = 'x <script>alert("a")</script> & y'
    out = mark_text(text, [Mark(0, 1, 2.0, "tip", "?"), Mark(33, 33, 1.0, "t2", "[MASK]")], 4.0, stop=len(text),
                    cut=True, prefix="s1")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp; y" in out
    assert out.count('class="tok"') == 2 and "[[MASK]]" in out and "cut at max_length" in out


def test_escape_and_metric_formats():
    assert escape("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"
    assert format_metric("top1_accuracy", 0.19122) == "19.12 %"
    assert format_metric("candidate.top5_accuracy", 0.5) == "50.00 %"
    assert format_metric("perplexity", 147.30123) == "147.301"
    assert format_metric("perplexity", None) == format_metric("perplexity", float("inf")) == "n/a"
    assert format_metric("n_masked", 319) == "319"
    assert format_metric("delta_ci95", [-1.7e-4, 0.25]) == "[-1.700e-04, 2.500e-01]"  # one format for both ends


def test_metric_cards_carry_the_exact_value():
    html = metric_cards([("cross_entropy", "CE", 4.992480345622816, "nats")])
    assert 'data-metric="cross_entropy" data-value="4.992480345622816">4.9925<' in html


def test_flatten_names_nested_keys_with_dots():
    assert flatten({"a": {"b": 1, "c": {}}, "d": [1, 2]}) == [("a.b", 1), ("a.c", {}), ("d", [1, 2])]
