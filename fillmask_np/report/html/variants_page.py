"""The page of a variant-scoring run (``VariantReport``): summary, the position x amino-acid heat map of the single
substitutions' scores (wild-type residues outlined, red below 0: the model dislikes the mutant, blue above), the
score distribution, settings and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from ...text import AtomicFile, check_output
from .charts import figure, histogram
from .page import document, escape, metric_cards, note, provenance_section, section

if TYPE_CHECKING:  # pragma: no cover
    from ..variants_report import VariantReport

__all__ = ["variants_html", "write_variants_html"]

_AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"  # the heat map's rows, then any other residue met
_CELL = 12  # px per heat-map cell (drawn at its size; a long protein scrolls sideways)
_LEFT, _TOP = 26, 30  # room for the residue letters and the position numbers


def variants_html(report: VariantReport, *, provenance: dict[str, Any] | None = None,
                  title: str = "fillmask_np variant scores") -> str:
    """The HTML page of ``report`` as a string.

    Args:
        report: the run's ``VariantReport``.
        provenance: the provenance record to show (the command line passes the one ``--json`` prints).
        title: the page's title.
    Returns:
        the page.
    """
    r = report
    scores = r.score_array()  # [M]
    cards = metric_cards([
        ("strategy", "strategy", r.strategy, "as ESM's predict.py --scoring-strategy"),
        ("n_mutations", "mutations", len(r.scores), f"{len(r.singles)} single substitutions on the heat map"),
        ("sequence_length", "wild type", r.sequence_length, f"residues, {r.n_windows} window(s)"),
        ("spearman", "Spearman rho", r.spearman, f"against the targets ({r.n_targets})" if r.n_targets
         else "no target column"),
        ("mean_score", "mean score", float(np.mean(scores)) if len(scores) else None, "nats; > 0: mutant preferred"),
    ])
    distribution = histogram(scores, name="score-distribution", title="Scores", xlabel="score (nats)",
                             caption="left of 0: the model prefers the wild type")
    body = [section("summary", "Summary", cards), section("heat-map", "Heat map", heat_map(r)),
            section("charts", "Charts", f'<div class="charts">{distribution}</div>')]
    subtitle = f"{r.strategy}, {len(r.scores)} mutations of a {r.sequence_length}-residue protein"
    return document(title, subtitle, *body, provenance_section(r.settings, provenance))


def heat_map(r: VariantReport) -> str:
    """The SVG figure: one column per mutated position, one row per residue, a cell per single substitution."""
    if not r.singles:
        return figure("heat-map", "Heat map", "no single substitution to show", note("No single substitution."))
    positions = sorted({p for p, _, _ in r.singles})
    letters = [a for a in _AMINO_ACIDS] + sorted({m for _, m, _ in r.singles} - set(_AMINO_ACIDS))
    column = {p: k for k, p in enumerate(positions)}
    row = {a: k for k, a in enumerate(letters)}
    vmax = max(1e-12, float(np.max(np.abs([s for _, _, s in r.singles]))))
    width, height = _LEFT + _CELL * len(positions) + 4, _TOP + _CELL * len(letters) + 4
    cells = []
    for p, k in column.items():  # the wild-type residue of each column, outlined
        wild = r.wild_type[p]
        if wild in row:
            cells.append(f'<rect class="wt" x="{_LEFT + _CELL * k}" y="{_TOP + _CELL * row[wild]}" width="{_CELL}" '
                         f'height="{_CELL}" fill="#ffffff" stroke="#222222"><title>{escape(wild)}'
                         f"{p + r.offset}: wild type</title></rect>")
        if k % 10 == 0:
            cells.append(f'<text x="{_LEFT + _CELL * k}" y="{_TOP - 6}" font-size="9">{p + r.offset}</text>')
    for p, mutant, score in r.singles:
        label = f"{r.wild_type[p]}{p + r.offset}{mutant}"
        cells.append(f'<rect class="cell" data-mutation="{escape(label)}" data-score="{escape(repr(score))}" '
                     f'x="{_LEFT + _CELL * column[p]}" y="{_TOP + _CELL * row[mutant]}" width="{_CELL}" '
                     f'height="{_CELL}" fill="{_diverging(score / vmax)}"><title>{escape(label)}: {score:.4f}'
                     f"</title></rect>")
    axis = "".join(f'<text x="4" y="{_TOP + _CELL * k + _CELL - 2}" font-size="10">{escape(a)}</text>'
                   for a, k in row.items())
    svg = (f'<div style="overflow-x:auto"><svg class="heat" data-chart="heat-map" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="position by residue heat map" '
           f'xmlns="http://www.w3.org/2000/svg">{axis}{"".join(cells)}</svg></div>')
    caption = (f"score of each single substitution (red < 0 < blue, full colour at |score| = {vmax:.3g} nats); "
               f"outlined: the wild-type residue")
    return figure("heat-map", "Position x residue", caption, svg)


def write_variants_html(report: VariantReport, path: str | Path, *, provenance: dict[str, Any] | None = None,
                        inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write the page of ``report`` to ``path`` atomically (refused first if it is an input or not writable).

    Args:
        report: the run's ``VariantReport``.
        path: the ``.html`` file.
        provenance: the provenance record to show.
        inputs: the run's input files, which the page may not overwrite.
    Returns:
        the path written.
    """
    path = check_output(path, inputs=inputs, what="HTML report")
    page = variants_html(report, provenance=provenance)
    with AtomicFile(path, what="HTML report") as handle:
        handle.write(page.encode("utf-8"))
    return path


def _diverging(t: float) -> str:
    """A colour for t in [-1, 1]: red (-1) through white (0) to blue (1)."""
    t = float(np.clip(t, -1.0, 1.0))
    end = np.array([178, 24, 43]) if t < 0 else np.array([33, 102, 172])
    rgb = 255 + abs(t) * (end - 255)
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)
