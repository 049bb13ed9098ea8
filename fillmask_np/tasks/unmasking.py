"""The unmasking loop shared by ``generate`` and ``fill_mask(strategy="iterative")``.

Rows (one per prompt and sample) are advanced together: each step pads the rows that still have masks
into one ``[B, L]`` batch, runs ``model.masked_logits`` once at their still-masked positions only (an
optimized model runs its LM head on those rows alone), and every row then

1. takes the float64 log-softmax of its rows, restricted to the allowed token ids (``columns``);
2. picks the positions its schedule fills this step: ``"confidence"`` the highest top-1 probability
   first (ties: the earlier position), ``"left_to_right"`` the first ones, ``"random"``
   ``rng.choice(R, count, replace=False)`` in the drawn order;
3. fills each with the argmax, or with ``Sampler.draw`` of its allowed log-probabilities (one
   ``rng.random()`` per filled position, in fill order, after the random choice of step 2).

A filled token's probability is the model's softmax over the whole vocabulary at temperature 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..numerics import log_softmax
from .generation_result import GenerationStep
from .sampling import Sampler

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM

__all__ = ["UNMASK_ORDERS", "RowState", "LoopStats", "run_rows"]

UNMASK_ORDERS = ("confidence", "random", "left_to_right")


@dataclass
class RowState:
    """One (prompt, sample) being filled: ids and token types [L], its schedule, how it chooses and draws."""

    ids: np.ndarray
    type_ids: np.ndarray
    remaining: np.ndarray  # [R] still-masked positions, text order
    counts: list[int]  # masks filled per step
    unmask: str
    sampler: Sampler | None = None
    rng: np.random.Generator | None = None  # the unmask="random" choice
    steps: list[GenerationStep] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether the row still has a step to run."""
        return len(self.steps) < len(self.counts) and len(self.remaining) > 0

    def advance(self, logits: np.ndarray, columns: np.ndarray | None, top_k: int) -> int:
        """Fill this step's masks from ``logits`` [R, V] at ``remaining``; returns how many were filled."""
        log_p = log_softmax(np.asarray(logits, dtype=np.float64))  # [R, V]
        scores = log_p if columns is None else log_p[:, columns]  # [R, C]
        best = np.argmax(scores, axis=1)  # [R], first on a tie
        count = self.counts[len(self.steps)]
        if self.unmask == "confidence":
            order = np.argsort(-scores[np.arange(len(best)), best], kind="stable")[:count]  # [count]
        elif self.unmask == "left_to_right":
            order = np.arange(count)
        else:
            assert self.rng is not None
            order = self.rng.choice(len(best), size=count, replace=False)
        picks = best[order] if self.sampler is None else np.array(
            [self.sampler.draw(scores[i]) for i in order], dtype=np.int64)  # [count] columns
        tokens = picks if columns is None else columns[picks]  # [count] ids
        top_ids = top_probs = None
        if top_k:
            top = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]  # [R, k] columns
            top_ids = top if columns is None else columns[top]
            top_probs = np.exp(np.take_along_axis(scores, top, axis=1))  # [R, k]
        positions = self.remaining[order]  # [count]
        self.steps.append(GenerationStep(positions=positions, tokens=tokens.astype(np.int64),
                                         probs=np.exp(log_p[order, tokens]), masked=self.remaining.copy(),
                                         top_ids=top_ids, top_probs=top_probs))
        self.ids[positions] = tokens
        self.remaining = np.delete(self.remaining, order)
        return count


@dataclass
class LoopStats:
    """What the loop cost: model runs, positions scored (logit rows), tokens filled, seconds."""

    model_runs: int = 0
    positions_scored: int = 0
    tokens_filled: int = 0
    seconds: float = 0.0


def run_rows(model: MaskedLM, rows: list[RowState], *, pad_token_id: int,
             columns: Callable[[int], np.ndarray | None], history_top_k: int, stats: LoopStats) -> None:
    """Run ``rows`` until each has used its schedule (or has no mask left), one model run per step.

    Args:
        model: the masked LM.
        rows: the batch; each row's ``ids``, ``remaining`` and ``steps`` are updated in place.
        pad_token_id: written into the padding of shorter rows (attention mask 0 there).
        columns: logits width V -> [C] the allowed token ids (increasing, or the targets' order), None: every id.
        history_top_k: keep the top-k allowed ids and probabilities at every still-masked position.
        stats: incremented with this batch's model runs, scored positions and filled tokens.
    """
    while True:
        live = [row for row in rows if row.active]
        if not live:
            return
        width = max(len(row.ids) for row in live)
        ids = np.full((len(live), width), pad_token_id, dtype=np.int64)  # [B, L]
        types = np.zeros((len(live), width), dtype=np.int64)  # [B, L]
        attention = np.zeros((len(live), width), dtype=np.int64)  # [B, L]
        for b, row in enumerate(live):
            ids[b, :len(row.ids)], types[b, :len(row.ids)], attention[b, :len(row.ids)] = row.ids, row.type_ids, 1
        positions = np.concatenate([np.stack([np.full(len(row.remaining), b), row.remaining], axis=1)
                                    for b, row in enumerate(live)]).astype(np.int64)  # [M, 2]
        logits = model.masked_logits(ids, attention, types, positions, pad_token_id=pad_token_id)  # [M, V]
        stats.model_runs += 1
        stats.positions_scored += len(positions)
        allowed, start = columns(logits.shape[-1]), 0
        for row in live:
            end = start + len(row.remaining)
            stats.tokens_filled += row.advance(logits[start:end], allowed, history_top_k)
            start = end
