"""The page of a pseudo-log-likelihood run (``PLLReport``): summary with counts, per-sample pseudo-perplexity and
per-token charts, and a heat map of the worst samples and a seeded draw of the rest, every scored token coloured
by its -log P (tooltip: the token, its log-probability and rank), settings and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .charts import bar_chart, histogram, line_chart
from .heatmap import legend, scale_max
from .page import document, escape, metric_cards, note, provenance_section, section
from .samples import fetch_texts, sample_block, shown_note
from .stats import by_position, frequency_buckets, pick_samples

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ...tokenization import Tokenizer
    from ..pll_report import PLLReport

__all__ = ["pll_html"]


def pll_html(report: PLLReport, tokenizer: Tokenizer, *, texts: TextSource | None = None,
             text_field: str | None = None, provenance: dict[str, Any] | None = None, samples: int = 50,
             seed: int = 0, title: str = "fillmask_np pseudo-perplexity") -> str:
    """The HTML page of ``report`` (see ``render.render_html``)."""
    r, ps = report, report.per_sample
    nll = -np.asarray(ps["pseudo_log_likelihood"], dtype=np.float64) / np.asarray(ps["n_scored_tokens"])  # [S]
    cards = metric_cards([
        ("pseudo_perplexity", "pseudo-perplexity", r.pseudo_perplexity, "exp(-PLL / scored tokens)"),
        ("pseudo_log_likelihood", "pseudo-log-likelihood", r.pseudo_log_likelihood, "nats, summed over the corpus"),
        ("nll_per_token", "-PLL per token", r.nll_per_token, f"nats, over {r.n_scored_tokens} scored tokens"),
        ("n_scored_tokens", "scored tokens", r.n_scored_tokens, f"in {r.n_scored_samples} samples, a copy each"),
        ("n_samples", "samples read", r.n_samples, "non-empty samples"),
        ("n_scored_samples", "scored samples", r.n_scored_samples, "with at least one scored token"),
        ("n_tokens", "tokens", r.n_tokens, "of the samples read, specials included"),
        ("n_empty", "empty samples", r.n_empty, "skipped"),
        ("n_unscorable", "unscorable samples", r.n_unscorable, "special tokens only, skipped"),
        ("n_truncated", "truncated samples", r.n_truncated, f"cut to {r.settings.get('max_length')} tokens"),
        ("variant", "variant", r.variant, "how the copies were masked"),
    ])
    figs = [histogram(nll, name="sample-pppl", title="Pseudo-perplexity per sample (log scale)",
                      xlabel="-PLL / token of the sample (nats) = log PPPL",
                      caption="each scored sample's log pseudo-perplexity")]
    t = r.tokens
    if t is not None:
        loss = -np.asarray(t["log_prob"], dtype=np.float64)  # [R]
        first, last, mean, count = by_position(t["position"], loss)
        names, acc, n_tok = frequency_buckets(t["token_id"], t["rank"] == 0)
        figs += [
            histogram(loss, name="token-nll", title="-log P per scored token", xlabel="-log P(token | copy) (nats)",
                      bins=40, caption="each token scored in its own masked copy"),
            line_chart((first + last) / 2, mean, [f"positions {a}-{b}: mean {m:.3f} nats over {n} tokens"
                                                  for a, b, m, n in zip(first, last, mean, count)],
                       name="nll-by-position", title="-log P by position in the sequence",
                       xlabel="token position (0 = first token)", ylabel="mean -log P (nats)",
                       caption="mean over the scored tokens at each position (or range)"),
            bar_chart(names, acc, [f"token seen {a} times: top-1 {b:.3f} over {c} tokens"
                                   for a, b, c in zip(names, acc, n_tok)],
                      name="accuracy-by-frequency", title="Top-1 accuracy by token frequency", y_max=1.0,
                      xlabel="occurrences of the token id among the scored tokens", ylabel="top-1 accuracy",
                      caption="is the token the model's first choice in its copy"),
        ]
    body = section("charts", "Charts", '<div class="charts">' + "".join(figs) + "</div>")
    subtitle = f"variant {r.variant}, {r.n_scored_tokens} scored tokens in {r.n_scored_samples} samples"
    return document(title, subtitle, section("summary", "Summary", cards), body,
                    _samples(r, tokenizer, nll, texts, text_field, samples, seed),
                    provenance_section(r.settings, provenance))


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
             "<h3>Worst samples</h3>", *(block(k, f"worst #{place + 1}") for place, k in enumerate(worst)),
             "<h3>A seeded draw of the other samples</h3>", *(block(k, "drawn at random") for k in drawn)]
    return section("samples", "Heat map", *parts)
