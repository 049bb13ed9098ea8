"""The page of a pseudo-log-likelihood run (``PLLReport``): summary with counts, per-sample pseudo-perplexity and
per-token charts, and a heat map of the worst samples and a seeded draw of the rest, every scored token coloured
by its -log P (tooltip: the token, its log-probability and rank), settings and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .charts import histogram
from .heatmap import legend, scale_max
from .page import PageInputs, corpus_cards, document, escape, metric_cards, note, provenance_section, section
from .samples import fetch_texts, sample_block, sample_lists, shown_note
from .stats import pick_samples
from .token_figures import TokenChartText, token_charts

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ...tokenization import Tokenizer
    from ..pll_report import PLLReport

__all__ = ["pll_html"]


def pll_html(report: PLLReport, inputs: PageInputs, *, title: str = "fillmask_np pseudo-perplexity") -> str:
    """The HTML page of ``report`` (see ``render.render_html``); ``inputs.tokenizer`` is required."""
    r, ps = report, report.per_sample
    nll = -np.asarray(ps["pseudo_log_likelihood"], dtype=np.float64) / np.asarray(ps["n_scored_tokens"])  # [S]
    cards = metric_cards([
        ("pseudo_perplexity", "pseudo-perplexity", r.pseudo_perplexity, "exp(-PLL / scored tokens)"),
        ("pseudo_log_likelihood", "pseudo-log-likelihood", r.pseudo_log_likelihood, "nats, summed over the corpus"),
        ("nll_per_token", "-PLL per token", r.nll_per_token, f"nats, over {r.n_scored_tokens} scored tokens"),
        ("n_scored_tokens", "scored tokens", r.n_scored_tokens, f"in {r.n_scored_samples} samples, a copy each"),
        ("n_scored_samples", "scored samples", r.n_scored_samples, "with at least one scored token"),
        ("n_unscorable", "unscorable samples", r.n_unscorable, "special tokens only, skipped"),
        ("variant", "variant", r.variant, "how the copies were masked"),
        *corpus_cards(r),
    ])
    figs = [histogram(nll, name="sample-pppl", title="Pseudo-perplexity per sample (log scale)",
                      xlabel="-PLL / token of the sample (nats) = log PPPL",
                      caption="each scored sample's log pseudo-perplexity")]
    t = r.tokens
    if t is not None:
        loss = -np.asarray(t["log_prob"], dtype=np.float64)  # [R]
        figs += token_charts(loss, t["position"], t["token_id"], t["rank"] == 0, TokenChartText(
            prefix="nll", loss="-log P", loss_axis="-log P(token | copy) (nats)", token="scored token",
            label="token", histogram_caption="each token scored in its own masked copy",
            position_caption="mean over the scored tokens at each position (or range)",
            frequency_caption="is the token the model's first choice in its copy"))
    body = section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>")
    subtitle = f"variant {r.variant}, {r.n_scored_tokens} scored tokens in {r.n_scored_samples} samples"
    return document(title, subtitle, section("summary", "Summary", cards), body,
                    _samples(r, inputs.tokenizer, nll, inputs.texts, inputs.text_field, inputs.samples, inputs.seed),
                    provenance_section(r.settings, inputs.provenance))


def _samples(r: PLLReport, tokenizer: Tokenizer, nll: np.ndarray, texts: TextSource | None,
             text_field: str | None, n: int, seed: int) -> str:
    t, ps = r.tokens, r.per_sample
    if t is None:
        return section("samples", "Heat map", note("The heat map needs every scored token: return_tokens=True."))
    worst, drawn = pick_samples(nll, n, n, seed)
    found = fetch_texts(texts, [ps["position"][k] for k in worst + drawn], text_field)
    loss = -np.asarray(t["log_prob"], dtype=np.float64)  # [R]
    vmax = scale_max(loss)
    names = tokenizer.convert_ids_to_tokens(t["token_id"].tolist())

    def block(k: int, how: str) -> str:
        i, pos = ps["index"][k], ps["position"][k]
        lo, hi = np.searchsorted(t["sample"], [i, i + 1])  # sorted by (sample, position)
        tips = [f"<b>token</b> {escape(names[j])} (id {int(t['token_id'][j])}) &middot; -log P {loss[j]:.3f} "
                f"nats &middot; P {np.exp(-loss[j]):.3g} &middot; rank {int(t['rank'][j])}" for j in range(lo, hi)]
        meta = (f"sample {i} &middot; source position {pos} &middot; PPPL {np.exp(min(nll[k], 709.0)):.3f} over "
                f"{ps['n_scored_tokens'][k]} scored tokens &middot; {how}")
        return sample_block(tokenizer, r.settings, sample=i, text=found.get(pos), meta=meta,
                            positions=t["position"][lo:hi], ids=t["token_id"][lo:hi], values=loss[lo:hi], tips=tips,
                            vmax=vmax)

    parts = [legend(vmax, "-log P of the token in its masked copy (nats)"),
             shown_note(len(worst), len(drawn), len(ps["index"]), seed, "pseudo-perplexity", bool(found)),
             *sample_lists([block(k, f"worst #{place + 1}") for place, k in enumerate(worst)],
                           [block(k, "drawn at random") for k in drawn])]
    return section("samples", "Heat map", *parts)
