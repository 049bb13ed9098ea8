"""The page around the content: the document, escaping, sections, the summary's metrics and the settings and
provenance tables. Everything from the data goes through ``escape`` (text and attribute values alike).

A metric is shown as ``<div class="metric" data-metric=NAME data-value=REPR>`` with its text formatted by
``format_metric``: a test (or a script) reads back the exact float from ``data-value`` (``repr``, what
``json.dumps`` writes) and compares the shown text with ``format_metric(NAME, value)``.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from ...version import __version__
from .assets import CSP, SCRIPT, STYLE

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ...tokenization import Tokenizer

__all__ = ["PageInputs", "corpus_cards", "PERCENT", "document", "escape", "flatten", "format_metric", "kv_table",
           "metric_cards", "note", "provenance_section", "section"]

PERCENT = frozenset({"top1_accuracy", "top5_accuracy", "top1_agreement", "top5_overlap", "accuracy"})
_FIXED = {"perplexity": 3, "pseudo_perplexity": 3}  # digits after the point, as the command line's tables


def escape(value: Any) -> str:
    """``str(value)`` safe inside HTML text and quoted attributes (``&``, ``<``, ``>``, ``"``, ``'``).

    >>> escape('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


def format_metric(name: str, value: Any) -> str:
    """How the page shows metric ``name``: shares as percent (2 decimals), perplexities with 3 decimals, other
    floats with 4 (or 4 significant digits in e-notation below 0.01), ints as they are, None as "n/a"; a dotted
    name (``candidate.top1_accuracy``) is formatted by its last part. The floats of a list (an interval) share one
    format: e-notation for all when any of them needs it.

    >>> format_metric("top1_accuracy", 0.4231), format_metric("cross_entropy", 4.99248), format_metric("mean_kl", 6.1e-7)
    ('42.31 %', '4.9925', '6.100e-07')
    >>> format_metric("delta_ci95", [0.0021, 0.0345])
    '[2.100e-03, 3.450e-02]'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    key = name.rsplit(".", 1)[-1].replace("_ci95", "")
    if isinstance(value, (list, tuple)):
        floats = [v for v in value if isinstance(v, float) and math.isfinite(v)]
        small = key not in PERCENT and key not in _FIXED and any(v != 0 and abs(v) < 0.01 for v in floats)
        return "[" + ", ".join(f"{v:.3e}" if small and v in floats else format_metric(key, v) for v in value) + "]"
    if isinstance(value, bool) or isinstance(value, int) or not isinstance(value, float):
        return str(value)
    if key in PERCENT:
        return f"{100 * value:.2f} %"
    if key in _FIXED:
        return f"{value:.{_FIXED[key]}f}"
    return f"{value:.4f}" if value == 0 or abs(value) >= 0.01 else f"{value:.3e}"


@dataclass(frozen=True)
class PageInputs:
    """What a page shows besides its report: the tokenizer, the data the samples are read from, provenance, and how
    many samples (the ``samples`` worst and ``samples`` more drawn with ``seed``)."""

    tokenizer: Tokenizer
    texts: TextSource | None = None
    text_field: str | None = None
    provenance: dict[str, Any] | None = None
    samples: int = 50
    seed: int = 0


def corpus_cards(report: Any) -> list[tuple[str, str, Any, str]]:
    """The count cards every corpus report shares: samples read, their tokens, empty samples, unknown tokens and
    truncated samples."""
    return [("n_samples", "samples read", report.n_samples, "non-empty samples"),
            ("n_tokens", "tokens", report.n_tokens, "of the samples read, specials included"),
            ("n_empty", "empty samples", report.n_empty, "skipped"),
            ("text_tokens", "text tokens", report.text_tokens, "no special token other than the unknown one"),
            ("unk_tokens", "unknown tokens", report.unk_tokens,
             f"of {report.text_tokens} text tokens: the tokenizer's [UNK], text it could not read"),
            ("n_truncated", "truncated samples", report.n_truncated,
             f"cut to {report.settings.get('max_length')} tokens")]


def metric_cards(items: Iterable[tuple[str, str, Any, str]]) -> str:
    """Cards of ``(name, label, value, detail)``: the value shown by ``format_metric``, exact in ``data-value``."""
    cards = []
    for name, label, value, detail in items:
        exact = json.dumps(value if not isinstance(value, float) or math.isfinite(value) else None)
        cards.append(f'<div class="metric"><div class="name">{escape(label)}</div>'
                     f'<div class="value" data-metric="{escape(name)}" data-value="{escape(exact)}">'
                     f'{escape(format_metric(name, value))}</div><div class="count">{escape(detail)}</div></div>')
    return '<div class="metrics">' + "".join(cards) + "</div>"


def flatten(record: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``(dotted key, value)`` of a nested dict, leaves in order (lists kept whole); an empty key is shown as ``""``.

    >>> flatten({"model": {"sha256": "ab", "opsets": {"ai.onnx": 17, "": 1}}, "seed": 0})
    [('model.sha256', 'ab'), ('model.opsets.ai.onnx', 17), ('model.opsets.""', 1), ('seed', 0)]
    """
    out: list[tuple[str, Any]] = []
    for key, value in record.items():
        name = prefix + (key or '""')
        if isinstance(value, dict) and value:
            out += flatten(value, name + ".")
        else:
            out.append((name, value))
    return out


def kv_table(rows: Iterable[tuple[str, Any]], *, css: str = "kv") -> str:
    """A two-column table; non-string values written as JSON, everything escaped."""
    body = "".join(f"<tr><th>{escape(k)}</th><td class=\"mono\">"
                   f"{escape(v if isinstance(v, str) else json.dumps(v, default=str))}</td></tr>" for k, v in rows)
    return f'<table class="{css}">{body}</table>'


def note(text: str) -> str:
    """A muted paragraph (``text`` is escaped)."""
    return f'<p class="note">{escape(text)}</p>'


def section(ident: str, title: str, *content: str) -> str:
    """``<section id=ident>`` with an ``<h2>`` title and the given (already escaped) HTML."""
    return f'<section id="{escape(ident)}"><h2>{escape(title)}</h2>{"".join(content)}</section>'


def provenance_section(settings: dict[str, Any], provenance: dict[str, Any] | None) -> str:
    """The settings and the provenance record (sha256 of model, tokenizer and data, versions, seed): as tables and,
    folded, as the JSON the command line prints."""
    parts = [f"<h3>Settings</h3>{kv_table(flatten(settings))}"]
    if provenance:
        parts += [f"<h3>Provenance</h3>{kv_table(flatten(provenance))}",
                  f"<details><summary>provenance as JSON</summary><pre class=\"json\">"
                  f"{escape(json.dumps(provenance, indent=1, default=str))}</pre></details>"]
    else:
        parts.append(note("No provenance record was given (the command line's --html adds the one --json prints)."))
    return section("provenance", "Settings and provenance", *parts)


def document(title: str, subtitle: str, *sections: str) -> str:
    """The whole self-contained page: inline style and script, no external resource (see ``assets``)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="fillmask_np {escape(__version__)}">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f'<pre id="console-errors"></pre><script>{SCRIPT}</script>'
            f'<header class="top"><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>'
            f"<main>{''.join(sections)}</main></body></html>\n")
