"""The page of an evaluation (``EvalReport``): summary with counts, the charts of every masked token, the worst
samples and a seeded draw of the rest with each masked token coloured by its loss (tooltip: label, rank, what the
model saw, its top-5 with probabilities), settings and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..per_token import input_kinds
from .charts import histogram, reliability_chart
from .heatmap import legend, scale_max
from .page import PageInputs, corpus_cards, document, escape, metric_cards, note, provenance_section, section
from .samples import fetch_texts, sample_block, sample_lists, shown_note
from .stats import calibration, pick_samples
from .token_figures import TokenChartText, token_charts

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ...tokenization import Tokenizer
    from ..eval_report import EvalReport

__all__ = ["eval_html"]


def eval_html(report: EvalReport, inputs: PageInputs, *, title: str = "fillmask_np evaluation") -> str:
    """The HTML page of ``report`` (see ``render.render_html``); ``inputs.tokenizer`` is required."""
    r, t = report, report.tokens
    hits1 = int(np.count_nonzero(t["rank"] < 1)) if t is not None else round(r.top1_accuracy * r.n_masked)
    hits5 = int(np.count_nonzero(t["rank"] < 5)) if t is not None else round(r.top5_accuracy * r.n_masked)
    cards = metric_cards([
        ("cross_entropy", "cross-entropy", r.cross_entropy, f"nats per masked token, over {r.n_masked} tokens"),
        ("perplexity", "perplexity", r.perplexity, "exp(cross-entropy)"),
        ("top1_accuracy", "top-1 accuracy", r.top1_accuracy, f"{hits1} of {r.n_masked} masked tokens"),
        ("top5_accuracy", "top-5 accuracy", r.top5_accuracy, f"{hits5} of {r.n_masked} masked tokens"),
        ("n_masked", "masked tokens", r.n_masked, f"in {r.n_scored_samples} samples"),
        ("n_scored_samples", "scored samples", r.n_scored_samples, "with at least one masked token"),
        ("n_unmaskable", "unmaskable samples", r.n_unmaskable, "special tokens only, skipped"),
        ("n_no_mask_drawn", "no mask drawn", r.n_no_mask_drawn, "maskable, but this seed drew nothing"),
        *corpus_cards(r),
    ])
    subtitle = (f"{r.n_masked} masked tokens in {r.n_scored_samples} samples, seed {r.settings.get('seed')}, "
                f"masking {r.settings.get('masking')}")
    return document(title, subtitle, section("summary", "Summary", cards), _charts(r),
                    _samples(r, inputs.tokenizer, inputs.texts, inputs.text_field, inputs.samples, inputs.seed),
                    _worst_tokens(r.worst_tokens), provenance_section(r.settings, inputs.provenance))


def _worst_tokens(worst: list[dict[str, Any]] | None) -> str:
    """The ``worst=N`` tokens (``--worst N``) with their context as the model saw it; nothing without them."""
    if not worst:
        return ""
    rows = "".join(f'<tr><td class="num">{w["loss"]:.3f}</td><td class="num">{w["rank"]}</td>'
                   f'<td>{escape(w["label_token"])}</td><td>{escape(w["top_token"])}</td>'
                   f'<td class="num">{w["sample"]}:{w["position"]}</td><td class="mono">{escape(w["context"])}</td></tr>'
                   for w in worst)
    head = ("<tr><th>loss</th><th>rank</th><th>label</th><th>top-1</th><th>sample:position</th>"
            "<th>context as the model saw it, the label as [[label]]</th></tr>")
    return section("worst-tokens", f"The {len(worst)} highest-loss masked tokens",
                   f'<table class="grid">{head}{rows}</table>')


def _charts(r: EvalReport) -> str:
    ce = np.asarray(r.per_sample.get("cross_entropy", []), dtype=np.float64)
    figs = [histogram(ce, name="sample-ce", title="Cross-entropy per sample", xlabel="mean NLL of the sample (nats)",
                      caption="each scored sample's mean loss over its masked tokens")]
    t = r.tokens
    if t is None:
        figs.append(note("Per-token charts need the per-token records: evaluate(..., return_tokens=True)."))
        return section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>")
    hits = t["rank"] == 0  # [T]
    figs += token_charts(t["loss"], t["position"], t["label"], hits, TokenChartText(
        prefix="loss", loss="loss", loss_axis="NLL (nats)", token="masked token", label="label",
        histogram_caption="negative log-likelihood of each label at its masked position",
        position_caption="mean loss of the masked tokens at each position (or range of positions)",
        frequency_caption="frequent labels (right) against rare ones (left), in powers of two"))
    if "top5_probs" in t:
        c = calibration(t["top5_probs"][:, 0], hits)
        figs.append(reliability_chart(c.edges, c.confidence, c.accuracy, c.counts, name="calibration",
                                      title=f"Calibration (expected calibration error {c.ece:.4f})",
                                      caption="bars: observed top-1 accuracy per bin of predicted top-1 "
                                              "probability; dashed: a calibrated model"))
    else:
        figs.append(note("The calibration chart needs the top-5 records: evaluate(..., return_top5=True)."))
    return section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>")


def _prob(p: float) -> str:
    return f"{p:.4f}" if p >= 1e-3 else f"{p:.2e}"


def _tip(names: dict[int, str], t: dict[str, np.ndarray], j: int, kind: str) -> str:
    """The tooltip of record ``j``: label, rank, loss, what the model saw, the top-5 with probabilities."""
    label, loss, rank = int(t["label"][j]), float(t["loss"][j]), int(t["rank"][j])
    out = (f"<b>label</b> {escape(names[label])} (id {label}) &middot; rank {rank} &middot; loss {loss:.3f} nats "
           f"&middot; p {_prob(np.exp(-loss))}<br><b>input</b> {escape(names[int(t['input_id'][j])])} ({kind})")
    if "top5_ids" not in t:
        return out + f"<br><b>top-1</b> {escape(names[int(t['top_id'][j])])}"
    rows = "".join(f'<span class="r{" hit" if int(i) == label else ""}"><span>{k + 1}. {escape(names[int(i)])}</span>'
                   f'<span class="num">{_prob(p)}</span></span>'
                   for k, (i, p) in enumerate(zip(t["top5_ids"][j].tolist(), t["top5_probs"][j].tolist())))
    return out + f'<span class="t5">top-5 of the model:{rows}</span>'


def _samples(r: EvalReport, tokenizer: Tokenizer, texts: TextSource | None, text_field: str | None, n: int,
             seed: int) -> str:
    t, ps = r.tokens, r.per_sample
    if t is None:
        return section("samples", "Samples", note("The samples need the per-token records: return_tokens=True."))
    worst, drawn = pick_samples(ps["cross_entropy"], n, n, seed)
    found = fetch_texts(texts, [ps["position"][k] for k in worst + drawn], text_field)
    shown = np.isin(t["sample"], [ps["index"][k] for k in worst + drawn])  # [T]
    ids = np.concatenate([t["label"][shown], t["input_id"][shown]] +
                         ([t["top5_ids"][shown].ravel()] if "top5_ids" in t else [t["top_id"][shown]]))
    unique = np.unique(ids).tolist()
    names = dict(zip(unique, tokenizer.convert_ids_to_tokens(unique)))
    kinds = input_kinds(t["input_id"], t["label"], tokenizer.mask_token_id)  # [T]
    vmax = scale_max(t["loss"])

    def block(k: int, how: str) -> str:
        i, pos = ps["index"][k], ps["position"][k]
        lo, hi = np.searchsorted(t["sample"], [i, i + 1])  # records are sorted by (sample, position)
        meta = (f"sample {i} &middot; source position {pos} &middot; cross-entropy {ps['cross_entropy'][k]:.4f} nats "
                f"over {ps['n_masked'][k]} masked tokens &middot; {how}")
        return sample_block(tokenizer, r.settings, sample=i, text=found.get(pos), meta=meta,
                            positions=t["position"][lo:hi], ids=t["label"][lo:hi], values=t["loss"][lo:hi],
                            tips=[_tip(names, t, j, kinds[j]) for j in range(lo, hi)], vmax=vmax)

    parts = [legend(vmax, "loss of the masked token (nats)"),
             shown_note(len(worst), len(drawn), len(ps["index"]), seed, "cross-entropy", bool(found)),
             note("Hover over or focus (Tab) a coloured token: its label, the rank of the label, what the model saw "
                  "there (mask, random or kept token) and the model's top-5 with probabilities."),
             *sample_lists([block(k, f"worst #{place + 1}") for place, k in enumerate(worst)],
                           [block(k, "drawn at random") for k in drawn])]
    return section("samples", "Samples", *parts)
