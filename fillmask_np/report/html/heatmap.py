"""Tokens coloured by their loss: the colour scale and its legend, one focusable ``<span class="tok">`` per scored
token with a CSS tooltip, and a sample's text with its scored tokens marked at their character offsets."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .page import escape

__all__ = ["Mark", "heat_color", "legend", "mark_text", "scale_max", "token_span"]

# yellow -> orange -> red -> dark red (ColorBrewer YlOrRd): low loss pale, high loss dark
_STOPS = np.array([[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 38]], dtype=np.float64)


def scale_max(losses: np.ndarray) -> float:
    """The top of the colour scale: the 99th percentile of the finite losses, rounded up, at least 1 nat.

    >>> scale_max(np.array([0.5, 2.2, 3.7]))
    4.0
    """
    v = np.asarray(losses, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(max(1.0, np.ceil(np.percentile(v, 99)))) if len(v) else 1.0


def heat_color(value: float, vmax: float) -> tuple[str, str]:
    """(background, text) colours of a loss on the scale [0, ``vmax``] (values beyond are clipped).

    >>> heat_color(0.0, 10.0), heat_color(10.0, 10.0)
    (('#ffffcc', '#111111'), ('#800026', '#ffffff'))
    """
    t = float(np.clip(value / vmax if vmax > 0 else 0.0, 0.0, 1.0)) if np.isfinite(value) else 1.0
    x = t * (len(_STOPS) - 1)
    i = min(int(x), len(_STOPS) - 2)
    rgb = _STOPS[i] + (x - i) * (_STOPS[i + 1] - _STOPS[i])
    background = "#" + "".join(f"{int(round(c)):02x}" for c in rgb)
    return background, "#ffffff" if t > 0.6 else "#111111"


def legend(vmax: float, label: str) -> str:
    """An SVG colour bar from 0 to ``vmax`` with five ticks (``<svg class="legend">``)."""
    stops = "".join(f'<stop offset="{i / (len(_STOPS) - 1):.2f}" stop-color="{heat_color(i / 4 * vmax, vmax)[0]}"/>'
                    for i in range(len(_STOPS)))
    ticks = "".join(f'<text x="{10 + 380 * i / 4:.0f}" y="38" text-anchor="middle">{i / 4 * vmax:g}</text>'
                    for i in range(5))
    return (f'<svg class="legend" viewBox="0 0 400 56" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="heat">{stops}</linearGradient></defs>'
            f'<rect x="10" y="8" width="380" height="16" fill="url(#heat)" stroke="#8a93a3"/>{ticks}'
            f'<text x="200" y="53" text-anchor="middle">{escape(label)}: darker is worse</text></svg>')


def token_span(display: str, value: float, vmax: float, tip: str, ident: str) -> str:
    """A scored token: ``display`` (text, escaped here) coloured by ``value``; ``tip`` (HTML) shows on hover and
    on keyboard focus."""
    background, ink = heat_color(value, vmax)
    return (f'<span class="tok" tabindex="0" data-loss="{value:.6g}" style="background:{background};color:{ink}" '
            f'aria-describedby="{ident}">{escape(display)}<span class="tip" id="{ident}" role="tooltip">{tip}'
            f"</span></span>")


class Mark(NamedTuple):
    """A scored token in a text: its character span, its loss, the tooltip (HTML) and the text to show when the
    span is empty (a token with no characters of its own)."""

    start: int
    stop: int
    value: float
    tip: str
    fallback: str


def mark_text(text: str, marks: Sequence[Mark], vmax: float, *, stop: int, cut: bool, prefix: str) -> str:
    """``text[:stop]`` escaped, each mark's span wrapped by ``token_span`` (ids ``prefix-k``); ``cut`` adds a
    note that the sample was truncated there.

    >>> mark_text("a <b> c", [Mark(2, 5, 1.0, "t", "?")], 2.0, stop=7, cut=False, prefix="s0").count('class="tok"')
    1
    """
    out, cursor = [], 0
    for k, m in enumerate(sorted(marks, key=lambda m: (m.start, m.stop))):
        start = max(m.start, cursor)
        display = text[start : m.stop] if m.stop > start else f"[{m.fallback}]"
        out.append(escape(text[cursor:start]))
        out.append(token_span(display, m.value, vmax, m.tip, f"{prefix}-{k}"))
        cursor = max(cursor, m.stop)
    out.append(escape(text[cursor:stop]))
    if cut:
        out.append('<span class="cut"> [... cut at max_length]</span>')
    return "".join(out)
