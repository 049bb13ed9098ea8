"""Reports as one self-contained HTML page (inline CSS and SVG, a few lines of script, no network): the summary
with counts, settings and provenance, charts of every scored token, and the worst samples (and a seeded draw of
the rest) with each scored token coloured by its loss. Inputs are plain data: the report objects, the tokenizer,
the texts, a provenance dict."""

from __future__ import annotations

from .page import escape, format_metric
from .render import html_report, render_html

__all__ = ["escape", "format_metric", "html_report", "render_html"]
