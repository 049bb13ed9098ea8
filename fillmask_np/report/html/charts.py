"""Inline SVG charts: histogram, line, bars and a reliability diagram, each ``<svg class="chart">`` in a
``<figure>``, with a ``<title>`` on every bar or point (its exact figures on hover). No script, no library.

Every chart is drawn in a 520 x 230 view box that scales with the page; inputs are plain NumPy arrays.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .page import escape

__all__ = ["bar_chart", "figure", "histogram", "line_chart", "nice_ticks", "reliability_chart"]

W, H = 520, 230
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 12, 42
Scale = Callable[[float], float]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]`` (steps of 1, 2 or 5 times a power of ten).

    >>> nice_ticks(0.0, 9.3)
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    return [float(round(start + i * step, 12)) for i in range(int(math.ceil((hi - start) / step - 1e-9)) + 1)]


def _tick(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.1e}"


def _scale(lo: float, hi: float, a: float, b: float) -> Scale:
    span = (hi - lo) or 1.0
    return lambda v: a + (float(v) - lo) / span * (b - a)


def _axes(sx: Scale, sy: Scale, x_ticks: Sequence[float], y_ticks: Sequence[float], xlabel: str, ylabel: str,
          x_names: Sequence[str] | None = None) -> str:
    """Grid lines, ticks and labels; ``x_names`` labels categorical bands at ``x_ticks`` instead of numbers."""
    out = []
    for t in y_ticks:
        y = sy(t)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                   f'<text x="{LEFT - 5}" y="{y + 3:.1f}" text-anchor="end">{escape(_tick(t))}</text>')
    for i, t in enumerate(x_ticks):
        x = sx(t)
        label = x_names[i] if x_names is not None else _tick(t)
        out.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{H - BOTTOM}" y2="{H - BOTTOM + 4}"/>'
                   f'<text x="{x:.1f}" y="{H - BOTTOM + 15}" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{H - BOTTOM}" y2="{H - BOTTOM}"/>'
               f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{H - BOTTOM}"/>'
               f'<text x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 6}" text-anchor="middle">{escape(xlabel)}</text>'
               f'<text transform="translate(13 {(TOP + H - BOTTOM) / 2:.0f}) rotate(-90)" text-anchor="middle">'
               f"{escape(ylabel)}</text>")
    return "".join(out)


def _svg(name: str, title: str, body: str) -> str:
    return (f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def figure(name: str, title: str, caption: str, svg: str) -> str:
    """A chart's ``<figure>``: its title and a one-line reading guide above the SVG."""
    return (f'<figure class="chart-box" id="chart-{escape(name)}"><figcaption>{escape(title)}'
            f"<span>{escape(caption)}</span></figcaption>{svg}</figure>")


def histogram(values: np.ndarray, *, name: str, title: str, caption: str, xlabel: str, bins: int = 30) -> str:
    """Counts of the finite ``values`` [N] in ``bins`` equal bins between their min and max."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]  # [N']
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))  # [bins], [bins + 1]
    top = max(1, int(counts.max()) if len(counts) else 1)
    y_ticks = [t for t in nice_ticks(0, top) if t == int(t)]
    sx, sy = _scale(lo, hi, LEFT, W - RIGHT), _scale(0, max(y_ticks[-1], top), H - BOTTOM, TOP)
    bars = "".join(
        f'<rect class="bar" x="{sx(a):.1f}" y="{sy(c):.1f}" width="{max(0.5, sx(b) - sx(a) - 0.6):.1f}" '
        f'height="{sy(0) - sy(c):.1f}"><title>[{a:.4g}, {b:.4g}): {c}</title></rect>'
        for a, b, c in zip(edges[:-1], edges[1:], counts.tolist()))
    x_ticks = [t for t in nice_ticks(lo, hi) if lo <= t <= hi]
    svg = _svg(name, title, _axes(sx, sy, x_ticks, y_ticks, xlabel, "count") + bars)
    return figure(name, title, f"{caption} ({len(v)} values)", svg)


def line_chart(xs: np.ndarray, ys: np.ndarray, tips: Sequence[str], *, name: str, title: str, caption: str,
               xlabel: str, ylabel: str) -> str:
    """A line through the points (``xs`` [K], ``ys`` [K]), a dot with its ``tips`` entry on each."""
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    x_lo, x_hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
    y_ticks = nice_ticks(0.0, float(y.max()) if len(y) and y.max() > 0 else 1.0)
    sx = _scale(x_lo, x_hi if x_hi > x_lo else x_lo + 1, LEFT + 4, W - RIGHT - 4)
    sy = _scale(0.0, y_ticks[-1], H - BOTTOM, TOP)
    points = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(x, y))
    dots = "".join(f'<circle class="dot" cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.6"><title>{escape(t)}</title>'
                   f"</circle>" for a, b, t in zip(x, y, tips))
    x_ticks = [t for t in nice_ticks(x_lo, x_hi) if x_lo <= t <= x_hi]
    body = _axes(sx, sy, x_ticks, y_ticks, xlabel, ylabel) + f'<polyline class="series" points="{points}"/>' + dots
    return figure(name, title, caption, _svg(name, title, body))


def bar_chart(names: Sequence[str], values: Sequence[float] | np.ndarray, tips: Sequence[str], *, name: str, title: str,
              caption: str, xlabel: str, ylabel: str, y_max: float | None = None) -> str:
    """One bar per category (``names`` [K], ``values`` [K]); ``y_max`` fixes the top (1.0 for shares)."""
    k = max(1, len(values))
    top = y_max if y_max is not None else max([float(v) for v in values] + [1e-12])
    y_ticks = nice_ticks(0.0, top)
    band = (W - RIGHT - LEFT) / k
    sy = _scale(0.0, y_ticks[-1], H - BOTTOM, TOP)
    bars = "".join(
        f'<rect class="bar" x="{LEFT + band * (i + 0.15):.1f}" y="{sy(v):.1f}" width="{band * 0.7:.1f}" '
        f'height="{sy(0) - sy(v):.1f}"><title>{escape(t)}</title></rect>'
        for i, (v, t) in enumerate(zip(values, tips)))
    centers = [i + 0.5 for i in range(len(values))]
    body = _axes(_scale(0, k, LEFT, W - RIGHT), sy, centers, y_ticks, xlabel, ylabel, list(names)) + bars
    return figure(name, title, caption, _svg(name, title, body))


def reliability_chart(edges: np.ndarray, confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, *,
                      name: str, title: str, caption: str) -> str:
    """Observed accuracy per confidence bin (``edges`` [K + 1], the rest [K]) against the diagonal of a
    calibrated model; a dot at each bin's mean confidence."""
    s = _scale(0.0, 1.0, LEFT, W - RIGHT)
    sy = _scale(0.0, 1.0, H - BOTTOM, TOP)
    out = [f'<line class="ideal" x1="{s(0):.1f}" y1="{sy(0):.1f}" x2="{s(1):.1f}" y2="{sy(1):.1f}"/>']
    for a, b, conf, acc, n in zip(edges[:-1], edges[1:], confidence, accuracy, counts):
        if n == 0:
            continue
        tip = f"p(top-1) in [{a:.2f}, {b:.2f}): {int(n)} tokens, mean confidence {conf:.3f}, accuracy {acc:.3f}"
        out.append(f'<rect class="bar" x="{s(a):.1f}" y="{sy(acc):.1f}" width="{s(b) - s(a) - 1:.1f}" '
                   f'height="{sy(0) - sy(acc):.1f}"><title>{escape(tip)}</title></rect>'
                   f'<circle class="dot" cx="{s(conf):.1f}" cy="{sy(conf):.1f}" r="2.4"><title>{escape(tip)}</title>'
                   f"</circle>")
    ticks = nice_ticks(0.0, 1.0)
    body = _axes(s, sy, ticks, ticks, "predicted probability of the top-1 token", "observed top-1 accuracy")
    return figure(name, title, caption, _svg(name, title, body + "".join(out)))
