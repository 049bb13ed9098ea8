"""The page of a comparison (``CompareReport``): the verdict and whatever criteria the report carries, ΔCE with
its bootstrap interval, both models' figures, the per-sample ΔCE histogram, top-1 agreement and top-5 overlap,
and the samples where the candidate got most worse, with settings, thresholds and provenance.

Only the report's fields are read (``criteria`` / ``reasons`` when it has them), so the page follows the
verdict's rules without knowing them; a criterion's figures are shown in the unit of its reason line
(``metrics.show_criterion``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...metrics import show_criterion
from .charts import bar_chart, histogram
from .page import document, escape, metric_cards, note, provenance_section, section
from .samples import fetch_texts

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ..compare_report import CompareReport

__all__ = ["compare_html", "sample_deltas"]

_TEXT_CHARS = 400  # characters of a sample's text shown in the table
_IN_UNITS = ("value", "at_risk", "regression")  # a criterion's figures, shown as its reason line shows them


def sample_deltas(report: CompareReport) -> dict[str, np.ndarray]:
    """Per scored sample of both models: ``index``, ``position``, ``n_masked``, ``ce_reference``, ``ce_candidate``
    and ``delta`` (candidate - reference), [S] arrays in sample order."""
    ref = dict(zip(report.reference.per_sample["index"], zip(report.reference.per_sample["position"],
                                                            report.reference.per_sample["n_masked"],
                                                            report.reference.per_sample["cross_entropy"])))
    cand = dict(zip(report.candidate.per_sample["index"], report.candidate.per_sample["cross_entropy"]))
    both = sorted(set(ref) & set(cand))
    out: dict[str, np.ndarray] = {"index": np.array(both, dtype=np.int64),
                                  "position": np.array([ref[i][0] for i in both], dtype=np.int64),
                                  "n_masked": np.array([ref[i][1] for i in both], dtype=np.int64),
                                  "ce_reference": np.array([ref[i][2] for i in both], dtype=np.float64),
                                  "ce_candidate": np.array([cand[i] for i in both], dtype=np.float64)}
    out["delta"] = out["ce_candidate"] - out["ce_reference"]
    return out


def _criteria(criteria: list[dict[str, Any]]) -> str:
    """Every criterion the report has, one row each, columns as its keys."""
    keys = list(dict.fromkeys(k for c in criteria for k in c))
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    rows = []
    for c in criteria:
        cells = []
        for k in keys:
            v = c.get(k)
            if k in _IN_UNITS and isinstance(v, (int, float)) and not isinstance(v, bool):
                shown = show_criterion(str(c.get("name", "")), float(v))  # the unit of the criterion's reason
            else:
                shown = f"{v:.6g}" if isinstance(v, float) else ("" if v is None else str(v))
            css = f' class="status-{escape(v)}"' if k == "status" else (' class="num"' if isinstance(v, float) else "")
            cells.append(f"<td{css}>{escape(shown)}</td>")
        rows.append(f'<tr data-criterion="{escape(c.get("name", ""))}">{"".join(cells)}</tr>')
    return f'<table class="grid" id="criteria"><tr>{head}</tr>{"".join(rows)}</table>'


def compare_html(report: CompareReport, *, texts: TextSource | None = None, text_field: str | None = None,
                 samples: int = 50, provenance: dict[str, Any] | None = None,
                 title: str = "fillmask_np comparison") -> str:
    """The HTML page of ``report`` (see ``render.render_html``; ``provenance`` defaults to ``report.provenance``)."""
    r, cand, ref = report, report.candidate, report.reference
    criteria: list[dict[str, Any]] = list(getattr(r, "criteria", None) or [])
    reasons: list[str] = list(getattr(r, "reasons", None) or [])
    profile: dict[str, str] = dict(getattr(r, "profile", None) or {})
    head = (f'<p>verdict <span class="verdict verdict-{escape(r.verdict)}" id="verdict">{escape(r.verdict)}</span>'
            f"</p>" + (f'<p id="profile">profile <b>{escape(profile.get("name", ""))}</b>: '
                       f'{escape(profile.get("reason", ""))}'
                       f'{"; thresholds given" if profile.get("thresholds") == "given" else ""}</p>' if profile else "")
            + ("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in reasons) + "</ul>" if reasons else "")
            + (_criteria(criteria) if criteria else ""))
    cards = metric_cards([
        ("delta_cross_entropy", "ΔCE (candidate - reference)", r.delta_cross_entropy, "nats per masked token"),
        ("delta_ci95", "ΔCE 95 % interval", r.delta_ci95, "paired bootstrap over the masked tokens"),
        ("relative_delta", "relative ΔCE", r.relative_delta, "ΔCE / CE(reference)"),
        ("mean_kl", "mean KL(ref || cand)", r.mean_kl, "nats per masked token"),
        ("top1_agreement", "top-1 agreement", r.top1_agreement, f"of {r.n_masked} masked tokens"),
        ("top5_overlap", "top-5 overlap", r.top5_overlap, "mean |top5 ∩ top5| / 5"),
        ("max_abs_logit_diff", "max |Δlogit|", r.max_abs_logit_diff, "over masked positions and the vocabulary"),
        ("mean_cosine", "mean cosine", r.mean_cosine, "of the two logit rows"),
        ("min_cosine", "min cosine", r.min_cosine, "of the two logit rows"),
        ("n_masked", "masked tokens", r.n_masked, "identical masks for both models"),
    ])
    sides = metric_cards([(f"{side}.{k}", f"{side} {label}", getattr(rep, k), detail)
                          for side, rep in (("reference", ref), ("candidate", cand))
                          for k, label, detail in (("cross_entropy", "cross-entropy", "nats per masked token"),
                                                   ("perplexity", "perplexity", "exp(cross-entropy)"),
                                                   ("top1_accuracy", "top-1 accuracy", ""),
                                                   ("top5_accuracy", "top-5 accuracy", ""))])
    d = sample_deltas(r)
    shares = [("top-1 agreement", r.top1_agreement), ("top-5 overlap", r.top5_overlap),
              ("top-1 acc. ref", ref.top1_accuracy), ("top-1 acc. cand", cand.top1_accuracy)]
    figs = [histogram(d["delta"], name="sample-delta-ce", title="ΔCE per sample", bins=40,
                      xlabel="CE(candidate) - CE(reference) of the sample (nats)",
                      caption="right of 0: the candidate is worse on that sample"),
            bar_chart([s for s, _ in shares], [v for _, v in shares], [f"{s}: {v:.4f}" for s, v in shares],
                      name="agreement", title="Top-1 agreement and top-5 overlap", y_max=1.0, xlabel="",
                      ylabel="share of masked tokens", caption="how often the two models pick the same tokens")]
    summary = section("summary", "Verdict and summary", head, cards, "<h3>Each model</h3>", sides)
    charts = section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>")
    subtitle = f"candidate against reference on {r.n_masked} identical masked tokens: {r.verdict}"
    shown = {**r.settings, "profile": profile.get("name"), "thresholds": dict(getattr(r, "thresholds", {}) or {})}
    return document(title, subtitle, summary, charts, _worse(d, texts, text_field, samples),
                    provenance_section(shown, provenance or r.provenance))


def _worse(d: dict[str, np.ndarray], texts: TextSource | None, text_field: str | None, n: int) -> str:
    """The ``n`` samples with the largest ΔCE above 0 (ties: the earlier sample), with their text when given; a
    sample on which the candidate did as well or better is not listed."""
    order = np.lexsort((d["index"], -d["delta"]))  # [S], the largest ΔCE first
    order = order[d["delta"][order] > 0][:n]
    found = fetch_texts(texts, d["position"][order].tolist(), text_field)
    rows = []
    for place, k in enumerate(order.tolist()):
        text = found.get(int(d["position"][k]), "")
        text = text if len(text) <= _TEXT_CHARS else text[:_TEXT_CHARS] + " ..."
        rows.append(f'<tr data-sample="{int(d["index"][k])}"><td class="num">{place + 1}</td>'
                    f'<td class="num">{int(d["index"][k])}</td><td class="num">{int(d["position"][k])}</td>'
                    f'<td class="num">{int(d["n_masked"][k])}</td><td class="num">{d["ce_reference"][k]:.4f}</td>'
                    f'<td class="num">{d["ce_candidate"][k]:.4f}</td><td class="num">{d["delta"][k]:+.4f}</td>'
                    f"<td>{escape(text)}</td></tr>")
    head = ("<tr><th>#</th><th>sample</th><th>source position</th><th>masked</th><th>CE reference</th>"
            "<th>CE candidate</th><th>ΔCE</th><th>text</th></tr>")
    rose = int(np.count_nonzero(d["delta"] > 0))
    if rose == 0:
        say = note(f"The candidate's cross-entropy rose on none of the {len(d['index'])} samples.")
        return section("worse", "Where the candidate got most worse", say)
    say = note(f"The {len(order)} samples where the candidate's cross-entropy rose most, of the {rose} (of "
               f"{len(d['index'])}) where it rose." + ("" if found else " Pass texts= (or --data) to see their text."))
    return section("worse", "Where the candidate got most worse", say,
                   f'<table class="grid">{head}{"".join(rows)}</table>')
