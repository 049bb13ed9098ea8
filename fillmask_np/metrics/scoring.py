"""Scoring a masked batch: run the masked rows through the model, NLL / rank / argmax of each label."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..errors import FillMaskError
from ..masking import IGNORE_INDEX
from ..numerics import as_float, row_nll_and_rank, row_nll_rank_top, top_k_indices

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Encoded, Tokenizer

__all__ = ["Scored", "score_rows", "passes", "top5_of"]

TOP_K = 5  # predictions kept per token by ``score_rows(top5=True)``


class Scored(NamedTuple):
    """One pass's scored tokens, in ``np.argwhere(labels != -100)`` order over the pass's rows."""

    nll: np.ndarray  # [M] float64
    rank: np.ndarray  # [M] int64
    top: np.ndarray | None  # [M] int64 argmax, when asked for
    positions: np.ndarray  # [M, 2] (row in the pass, position)
    targets: np.ndarray  # [M] label ids
    top5_ids: np.ndarray | None = None  # [M, 5] the model's five best ids, highest first, when asked for
    top5_probs: np.ndarray | None = None  # [M, 5] float64 their softmax probabilities


def score_rows(model: MaskedLM, tokenizer: Tokenizer, enc: Encoded, labels: np.ndarray, part: slice, *,
               top: bool, top5: bool = False) -> Scored:
    """Run rows ``part`` of a batch and score their masked tokens (``top``: with the argmax of each; ``top5``:
    with the five best ids and their probabilities, computed after and apart from the NLL, which is unchanged)."""
    labels = labels[part]
    positions = np.argwhere(labels != IGNORE_INDEX)  # [M, 2] (row in part, position), row-major
    if len(positions) == 0:
        empty = np.zeros(0, dtype=np.int64)
        none5 = (np.zeros((0, TOP_K), dtype=np.int64), np.zeros((0, TOP_K))) if top5 else (None, None)
        return Scored(np.zeros(0), empty, empty if top else None, positions, empty, *none5)
    rows = model.masked_logits(enc.input_ids[part], enc.attention_mask[part], enc.token_type_ids[part], positions,
                               pad_token_id=tokenizer.pad_token_id)  # [M, V]
    targets = labels[positions[:, 0], positions[:, 1]]  # [M]
    if targets.max() >= rows.shape[-1]:
        raise FillMaskError(f"label id {int(targets.max())} is outside the model's {rows.shape[-1]} logits; "
                            f"the tokenizer does not belong to this model")
    if top:
        nll, rank, best = row_nll_rank_top(rows, targets)  # [M, V] -> [M]
    else:
        (nll, rank), best = row_nll_and_rank(rows, targets), None  # [M, V] -> [M]
    if top5:
        return Scored(nll, rank, best, positions, targets, *top5_of(rows, targets, nll))
    return Scored(nll, rank, best, positions, targets)


def top5_of(rows: np.ndarray, targets: np.ndarray, nll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[M, V] logits, their [M] targets and NLL -> ([M, 5] best ids, highest first, ties to the lower id;
    [M, 5] float64 their probabilities).

    ``p = exp(x_k - x_target - nll)``: the label's own probability is exactly ``exp(-nll)``.

    >>> ids, probs = top5_of(np.log(np.array([[0.1, 0.6, 0.3]])), np.array([2]), np.array([-np.log(0.3)]))
    >>> ids.tolist(), np.round(probs, 6).tolist()
    ([[1, 2, 0]], [[0.6, 0.3, 0.1]])
    """
    x = as_float(rows)  # [M, V]
    ids = top_k_indices(x, TOP_K)  # [M, k]
    picked = np.take_along_axis(x, ids, axis=1).astype(np.float64)  # [M, k]
    target = np.take_along_axis(x, targets[:, None], axis=1).astype(np.float64)  # [M, 1]
    return ids, np.exp(picked - target - np.asarray(nll, dtype=np.float64)[:, None])


def passes(labels: np.ndarray, vocab: int, budget: int, gathers: bool) -> list[slice]:
    """Row slices of a [b, L] batch, each within ``budget`` logits (at least one row per pass).

    A full model's pass costs rows x L x vocab; a model that gathers positions costs masked tokens x vocab.
    """
    n_rows, length = labels.shape
    if not gathers:
        step = max(1, budget // (length * vocab))
        return [slice(s, s + step) for s in range(0, n_rows, step)]
    cost = np.count_nonzero(labels != IGNORE_INDEX, axis=1) * vocab  # [b]
    slices, start, used = [], 0, 0
    for r in range(n_rows):
        if r > start and used + cost[r] > budget:
            slices.append(slice(start, r))
            start, used = r, 0
        used += int(cost[r])
    return slices + [slice(start, n_rows)]
