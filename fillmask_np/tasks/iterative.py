"""``fill_mask(strategy="iterative")``: fill the most confident mask, run the model again, repeat.

A thin case of ``generate``'s unmasking loop (``unmasking.run_rows``): one mask per step, in confidence
order (the remaining mask whose best candidate has the highest probability, the first in text order on
a tie), filled with its argmax -- or, when sampling, with a token drawn from the candidates truncated by
temperature, ``top_k`` and ``top_p`` (``Sampler``). Special tokens are not excluded (as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .candidates import Allowed
from .prompts import Prompt, sequence
from .sampling import Sampler
from .unmasking import LoopStats, RowState, run_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["Sampler", "fill_iterative"]


def fill_iterative(model: MaskedLM, tokenizer: Tokenizer, prompts: Sequence[Prompt], *,
                   candidates: np.ndarray | None, samplers: Sequence[Sampler | None],
                   batch_size: int = 16) -> list[list[dict[str, Any]]]:
    """The fill steps of each prompt, in fill order (see ``fill_mask``), prompts batched per model run.

    Args:
        model: the masked LM.
        tokenizer: its tokenizer (pad id, decoding).
        prompts: the encoded texts.
        candidates: [C] the allowed token ids (single-token targets), None for every id.
        samplers: per prompt, its ``Sampler`` (None: argmax).
        batch_size: prompts per model run.
    Returns:
        per prompt, one ``{"mask", "score", "token", "token_str", "sequence"}`` dict per step.
    """
    rows = [RowState(p.ids.copy(), p.type_ids, p.masks.copy(), [1] * len(p.masks), "confidence", sampler)
            for p, sampler in zip(prompts, samplers)]
    for b in range(0, len(rows), batch_size):
        run_rows(model, rows[b:b + batch_size], pad_token_id=tokenizer.pad_token_id, allowed=Allowed(candidates),
                 history_top_k=0, stats=LoopStats())
    return [_steps(tokenizer, prompt, row) for prompt, row in zip(prompts, rows)]


def _steps(tokenizer: Tokenizer, prompt: Prompt, row: RowState) -> list[dict[str, Any]]:
    """The fill_mask dicts of one row: its steps replayed on the prompt's ids."""
    ids = prompt.ids.copy()  # [L]
    numbers = {int(position): number for number, position in enumerate(prompt.masks)}
    out = []
    for left, step in zip(range(len(row.steps) - 1, -1, -1), row.steps):
        position, token_id = int(step.positions[0]), int(step.tokens[0])
        ids[position] = token_id
        out.append({"mask": numbers[position], "score": float(step.probs[0]), "token": token_id,
                    "token_str": tokenizer.decode([token_id], skip_special_tokens=False),
                    "sequence": sequence(tokenizer, ids, skip_special_tokens=left == 0)})
    return out
