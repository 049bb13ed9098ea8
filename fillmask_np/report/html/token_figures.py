"""The three per-token charts the evaluation and pseudo-perplexity pages share: the loss of every token, the loss
by position in the sequence, and top-1 accuracy by how often the token's id occurs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .charts import bar_chart, histogram, line_chart
from .stats import by_position, frequency_buckets

__all__ = ["TokenChartText", "token_charts"]


@dataclass(frozen=True)
class TokenChartText:
    """How a page words its per-token charts: the loss's name and unit, the token's name, the captions."""

    prefix: str  # chart names: f"{prefix}-..." (element ids the browser test counts)
    loss: str  # "loss" / "-log P"
    loss_axis: str  # x axis of the histogram
    token: str  # "masked token" / "scored token"
    label: str  # "label" / "token"
    histogram_caption: str
    position_caption: str
    frequency_caption: str


def token_charts(loss: np.ndarray, positions: np.ndarray, ids: np.ndarray, hits: np.ndarray,
                 text: TokenChartText) -> list[str]:
    """Three SVG figures of [T] per-token ``loss``, ``positions``, label ``ids`` and top-1 ``hits``."""
    name = text.loss[:1].upper() + text.loss[1:]  # "Loss", "-log P"
    first, last, mean, count = by_position(positions, loss)
    tips = [f"positions {a}-{b}: mean {text.loss} {m:.3f} nats over {n} tokens"
            for a, b, m, n in zip(first, last, mean, count)]
    names, acc, n_tok = frequency_buckets(ids, hits)
    return [
        histogram(loss, name=f"token-{text.prefix}", title=f"{name} per {text.token}",
                  xlabel=text.loss_axis, bins=40, caption=text.histogram_caption),
        line_chart((first + last) / 2, mean, tips, name=f"{text.prefix}-by-position",
                   title=f"{name} by position in the sequence",
                   xlabel="token position (0 = first token)", ylabel=f"mean {text.loss} (nats)",
                   caption=text.position_caption),
        bar_chart(names, acc, [f"{text.label} seen {a} times: top-1 accuracy {b:.3f} over {c} tokens"
                               for a, b, c in zip(names, acc, n_tok)],
                  name="accuracy-by-frequency", title=f"Top-1 accuracy by {text.label} frequency", y_max=1.0,
                  xlabel=f"occurrences of the {text.label} id among the {text.token}s", ylabel="top-1 accuracy",
                  caption=text.frequency_caption),
    ]
