"""``fill_mask(strategy="iterative")``: fill the most confident mask, run the model again, repeat.

Each step runs the model on the current text, takes the remaining mask whose best candidate has the
highest probability (the first in text order on a tie), and fills it with its argmax -- or, when
sampling, with a token drawn from the candidates truncated by temperature, ``top_k`` and ``top_p``
(in that order, as ``transformers``' generation warpers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .prompts import Prompt, log_probs, sequence

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["Sampler", "fill_iterative"]


@dataclass(frozen=True)
class Sampler:
    """How to draw a token: softmax(logits / temperature), cut to the ``top_k`` best, then to the smallest
    set holding ``top_p`` of the mass; ``rng`` draws."""

    rng: np.random.Generator
    temperature: float = 1.0
    top_k: int = 5
    top_p: float = 1.0

    def draw(self, log_p: np.ndarray) -> int:
        """Index into ``log_p`` [C] (float64 log-probabilities of the candidates) of the drawn token."""
        scaled = log_p / self.temperature  # [C]; log-softmax is shift-invariant, so logits / T alike
        order = np.argsort(-scaled, kind="stable")[: self.top_k]  # [C] -> [k] best first
        p = np.exp(scaled[order] - scaled[order[0]])  # [k], unnormalised, max 1
        p /= p.sum(dtype=np.float64)
        mass_before = np.cumsum(p) - p  # [k] mass of the better candidates
        keep = max(1, int(np.count_nonzero(mass_before < self.top_p)))  # the best one always stays
        cumulative = np.cumsum(p[:keep])  # [keep]
        u = self.rng.random() * cumulative[-1]
        return int(order[min(int(np.searchsorted(cumulative, u, side="right")), keep - 1)])


def fill_iterative(model: MaskedLM, tokenizer: Tokenizer, prompt: Prompt, *, candidates: np.ndarray | None,
                   sampler: Sampler | None) -> list[dict[str, Any]]:
    """The fill steps, in fill order (see ``fill_mask``); ``candidates`` [C] restricts the token ids."""
    ids = prompt.ids.copy()  # [L]
    remaining = list(range(len(prompt.masks)))  # mask numbers, text order
    steps = []
    while remaining:
        positions = prompt.masks[remaining]  # [R]
        log_p = log_probs(model, tokenizer, ids, prompt.type_ids, positions)  # [R, V]
        allowed = log_p if candidates is None else log_p[:, candidates]  # [R, C]
        r = int(np.argmax(allowed.max(axis=1)))  # the most confident mask (first on a tie)
        pick = int(np.argmax(allowed[r])) if sampler is None else sampler.draw(allowed[r])
        token_id = pick if candidates is None else int(candidates[pick])
        ids[positions[r]] = token_id
        number = remaining.pop(r)
        steps.append({"mask": number, "score": float(np.exp(log_p[r, token_id])), "token": token_id,
                      "token_str": tokenizer.decode([token_id], skip_special_tokens=False),
                      "sequence": sequence(tokenizer, ids, skip_special_tokens=not remaining)})
    return steps
