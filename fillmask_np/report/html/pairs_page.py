"""The page of a minimal-pairs run (``PairsReport``): summary, accuracy per group, the distribution of
PLL(good) - PLL(bad), the pairs the model gets most wrong (both sentences and their PLLs), settings and
provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .charts import bar_chart, histogram
from .page import corpus_cards, document, escape, metric_cards, note, provenance_section, section

if TYPE_CHECKING:  # pragma: no cover
    from ..pairs_report import PairsReport

__all__ = ["pairs_html"]


def pairs_html(report: PairsReport, *, provenance: dict[str, Any] | None = None, worst: int = 50,
               title: str = "fillmask_np minimal pairs") -> str:
    """The HTML page of ``report``: its figures, charts and the ``worst`` pairs with the lowest PLL(good) - PLL(bad).

    Args:
        report: the run's ``PairsReport``.
        provenance: the provenance record to show (the command line passes the one ``--json`` prints).
        worst: how many of the most wrong pairs to list.
        title: the page's title.
    Returns:
        the page as a string.
    """
    r = report
    cards = metric_cards([
        ("accuracy", "accuracy", r.accuracy, f"{r.n_correct} of {r.n_pairs} pairs with PLL(good) > PLL(bad)"),
        ("n_pairs", "pairs", r.n_pairs, "scored, both sentences"),
        ("n_ties", "ties", r.n_ties, "PLL(good) == PLL(bad), counted as wrong"),
        ("mean_delta_pll", "mean PLL(good) - PLL(bad)", r.mean_delta_pll, "nats"),
        ("variant", "variant", r.variant, "how the copies were masked"),
        *[c for c in corpus_cards(_Counts(r)) if c[0] in ("n_tokens", "text_tokens", "unk_tokens", "n_truncated")],
    ])
    delta = np.array([p["delta_pll"] for p in r.pairs], dtype=np.float64)  # [P]
    figs = []
    if r.groups:
        names = list(r.groups)
        figs.append(bar_chart(names, [r.groups[g]["accuracy"] for g in names],
                              [f"{g}: {100 * r.groups[g]['accuracy']:.2f} % of {r.groups[g]['count']} pairs"
                               for g in names], name="group-accuracy", title="Accuracy per group",
                              caption=f"share of pairs with PLL(good) > PLL(bad), per {r.settings.get('group_field')}",
                              xlabel=str(r.settings.get("group_field")), ylabel="accuracy", y_max=1.0))
    figs.append(histogram(delta, name="delta-pll", title="PLL(good) - PLL(bad) per pair",
                          xlabel="PLL(good) - PLL(bad) (nats)",
                          caption="right of 0: the model prefers the good sentence"))
    body = [section("summary", "Summary", cards),
            section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>"),
            section("worst", "Pairs the model gets most wrong", _worst_table(r, delta, worst))]
    if r.groups:
        rows = "".join(f"<tr><td>{escape(g)}</td><td>{100 * v['accuracy']:.2f} %</td><td>{v['count']}</td></tr>"
                       for g, v in r.groups.items())
        body.append(section("groups", "Groups", f'<table class="groups"><tr><th>{escape(r.settings["group_field"])}'
                                                f"</th><th>accuracy</th><th>pairs</th></tr>{rows}</table>"))
    subtitle = f"variant {r.variant}, {r.n_pairs} pairs, accuracy {100 * r.accuracy:.2f} %"
    return document(title, subtitle, *body, provenance_section(r.settings, provenance))


class _Counts:
    """The corpus counts of a ``PairsReport`` under the names ``corpus_cards`` reads."""

    def __init__(self, r: PairsReport) -> None:
        self.n_samples, self.n_tokens, self.n_empty = 2 * r.n_pairs, r.n_tokens, 0
        self.text_tokens, self.unk_tokens, self.n_truncated = r.text_tokens, r.unk_tokens, r.n_truncated
        self.settings = r.settings


def _worst_table(r: PairsReport, delta: np.ndarray, worst: int) -> str:
    """The ``worst`` pairs with the lowest PLL(good) - PLL(bad), worst first (ties: input order)."""
    order = np.argsort(delta, kind="stable")[:worst]  # [P] -> [worst]
    if not len(order):
        return note("No pair was scored.")
    rows = []
    for k in order.tolist():
        p = r.pairs[k]
        rows.append(f'<tr class="{"right" if p["correct"] else "wrong"}" data-index="{p["index"]}">'
                    f"<td>{p['index']}</td><td>{escape(p['group'] if p['group'] is not None else '')}</td>"
                    f"<td>{escape(p['good'])}</td><td>{escape(p['bad'])}</td>"
                    f'<td class="mono">{p["good_pll"]:.4f}</td><td class="mono">{p["bad_pll"]:.4f}</td>'
                    f'<td class="mono" data-delta="{escape(repr(p["delta_pll"]))}">{p["delta_pll"]:.4f}</td></tr>')
    head = ("<tr><th>pair</th><th>group</th><th>good sentence</th><th>bad sentence</th><th>PLL(good)</th>"
            "<th>PLL(bad)</th><th>PLL(good) - PLL(bad)</th></tr>")
    shown = note(f"The {len(order)} pairs (of {r.n_pairs}) with the lowest PLL(good) - PLL(bad), worst first.")
    return shown + f'<table class="pairs">{head}{"".join(rows)}</table>'
