"""The unmasking loop shared by ``generate`` and ``fill_mask(strategy="iterative")``.

Rows (one per prompt and sample) are advanced together: each step pads the rows that still have masks
into one ``[B, L]`` batch, runs ``model.masked_logits`` once at their still-masked positions only (an
optimized model runs its LM head on those rows alone), and every row then

1. takes the float64 log-softmax of its rows (``StepScores``), restricted to the allowed token ids;
2. picks the positions its schedule fills this step: ``"confidence"`` the highest top-1 probability
   first (ties: the earlier position), ``"left_to_right"`` the first ones, ``"random"``
   ``rng.choice(R, count, replace=False)`` in the drawn order;
3. fills each with the argmax, or with ``Sampler.draw`` of its allowed log-probabilities (one
   ``rng.random()`` per filled position, in fill order, after the random choice of step 2).

A filled token's probability is the model's softmax over the whole vocabulary at temperature 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..numerics import check_finite
from ..tokenization import pad_ids
from .candidates import Allowed
from .generation_result import GenerationStep
from .sampling import Sampler

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM

__all__ = ["UNMASK_ORDERS", "StepScores", "RowState", "LoopStats", "run_rows"]

UNMASK_ORDERS = ("confidence", "random", "left_to_right")
CHUNK_ROWS = 64  # logit rows normalised at a time: a [64, V] float64 buffer


class StepScores:
    """The logits of one model run [M, V] with what every row needs of their float64 log-softmax.

    ``log_p = (x - max) - log(sum(exp(x - max)))`` in float64, as ``numerics.log_softmax``, computed only
    where used: the [M] normalisers here (``CHUNK_ROWS`` rows at a time, in a reused buffer), the values at
    the chosen tokens and, when drawing or keeping the top-k, at the rows that need them. Choices compare
    the float32 logits of the allowed ids, whose order and ties are those of ``log_p`` (a row's shift is
    one constant).
    """

    def __init__(self, logits: np.ndarray, allowed: Allowed, work: np.ndarray | None = None) -> None:
        self.x = np.asarray(logits)  # [M, V]
        check_finite(self.x, what="generate logits")
        rows, vocab = self.x.shape
        self.columns, self.blocked = allowed.resolve(vocab)
        self.max = self.x.max(axis=1).astype(np.float64)  # [M]
        self.log_sum = np.empty(rows)  # [M]
        if work is None or work.shape[1] != vocab:
            work = np.empty((min(rows, CHUNK_ROWS), vocab))
        for a in range(0, rows, len(work)):
            w = work[: min(len(work), rows - a)]  # [c, V] float64
            np.subtract(self.x[a:a + len(w)], self.max[a:a + len(w), None], out=w)
            self.log_sum[a:a + len(w)] = np.log(np.sum(np.exp(w, out=w), axis=1, dtype=np.float64))
        self.work = work
        if self.columns is not None:
            self.best = np.argmax(self.x[:, self.columns], axis=1)  # [M] columns, the first on a tie
        else:
            self.best = np.argmax(self.x, axis=1)  # [M]
            if self.blocked is not None:  # the rows whose best is blocked: their best allowed id
                bad = np.flatnonzero(self.blocked[self.best])
                if len(bad):
                    self.best[bad] = np.argmax(self.allowed(bad), axis=1)

    def allowed(self, index: np.ndarray) -> np.ndarray:
        """The logits [n, C] of rows ``index`` at the allowed columns (blocked ids at -inf)."""
        if self.columns is not None:
            return self.x[np.asarray(index)[:, None], self.columns]
        rows = self.x[index]  # [n, V], a copy
        if self.blocked is not None:
            rows[:, self.blocked] = -np.inf
        return rows

    def ids(self, picks: np.ndarray) -> np.ndarray:
        """Token ids of allowed-column indices ``picks``."""
        return picks if self.columns is None else self.columns[picks]

    def log_p(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """float64 log-probabilities of logits ``values`` [n, ...] taken from rows ``rows`` [n] of the run."""
        shape = (-1,) + (1,) * (values.ndim - 1)
        return (values.astype(np.float64) - self.max[rows].reshape(shape)) - self.log_sum[rows].reshape(shape)


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

    def advance(self, scores: StepScores, rows: slice, top_k: int) -> int:
        """Fill this step's masks from ``scores`` rows ``rows`` (one per ``remaining``); returns how many."""
        index = np.arange(rows.start, rows.stop)  # [R] rows of the run
        best = scores.best[rows]  # [R] allowed columns
        count = self.counts[len(self.steps)]
        if self.unmask == "confidence":
            confidence = scores.log_p(index, scores.x[index, scores.ids(best)])  # [R]
            order = np.argsort(-confidence, kind="stable")[:count]  # [count]
        elif self.unmask == "left_to_right":
            order = np.arange(count)
        else:
            assert self.rng is not None
            order = self.rng.choice(len(best), size=count, replace=False)
        if self.sampler is None:
            picks = best[order]  # [count] columns
        else:
            picks = np.array([self.sampler.draw(scores.log_p(index[i:i + 1], scores.allowed(index[i:i + 1]))[0])
                              for i in order], dtype=np.int64)
        tokens = scores.ids(picks).astype(np.int64)  # [count] ids
        top_ids = top_probs = None
        if top_k:
            allowed = scores.allowed(index)  # [R, C]
            top = np.argsort(-allowed, axis=1, kind="stable")[:, :top_k]  # [R, k] columns
            top_ids = scores.ids(top)
            top_probs = np.exp(scores.log_p(index, np.take_along_axis(allowed, top, axis=1)))  # [R, k]
        positions = self.remaining[order]  # [count]
        probs = np.exp(scores.log_p(index[order], scores.x[index[order], tokens]))  # [count]
        self.steps.append(GenerationStep(positions=positions, tokens=tokens, probs=probs,
                                         masked=self.remaining.copy(), top_ids=top_ids, top_probs=top_probs))
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


def run_rows(model: MaskedLM, rows: list[RowState], *, pad_token_id: int, allowed: Allowed, history_top_k: int,
             stats: LoopStats) -> None:
    """Run ``rows`` until each has used its schedule (or has no mask left), one model run per step.

    Args:
        model: the masked LM.
        rows: the batch; each row's ``ids``, ``remaining`` and ``steps`` are updated in place.
        pad_token_id: written into the padding of shorter rows (attention mask 0 there).
        allowed: the ids that may be written (targets, special tokens excluded).
        history_top_k: keep the top-k allowed ids and probabilities at every still-masked position.
        stats: incremented with this batch's model runs, scored positions and filled tokens.
    """
    work = None  # the float64 buffer of StepScores, reused from step to step
    while True:
        live = [row for row in rows if row.active]
        if not live:
            return
        ids, attention, types = pad_ids([row.ids for row in live], [row.type_ids for row in live],
                                        pad_token_id=pad_token_id)  # [B, L] each
        positions = np.concatenate([np.stack([np.full(len(row.remaining), b), row.remaining], axis=1)
                                    for b, row in enumerate(live)]).astype(np.int64)  # [M, 2]
        logits = model.masked_logits(ids, attention, types, positions, pad_token_id=pad_token_id)  # [M, V]
        stats.model_runs += 1
        stats.positions_scored += len(positions)
        scores, start = StepScores(logits, allowed, work), 0
        work = scores.work
        for row in live:
            end = start + len(row.remaining)
            stats.tokens_filled += row.advance(scores, slice(start, end), history_top_k)
            start = end
