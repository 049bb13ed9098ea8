"""Scoring a masked batch: run the masked rows through the model, NLL / rank / argmax of each label."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..errors import FillMaskError
from ..masking import IGNORE_INDEX
from ..numerics import row_nll_and_rank, row_nll_rank_top

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Encoded, Tokenizer

__all__ = ["Scored", "score_rows", "passes"]


class Scored(NamedTuple):
    """One pass's scored tokens, in ``np.argwhere(labels != -100)`` order over the pass's rows."""

    nll: np.ndarray  # [M] float64
    rank: np.ndarray  # [M] int64
    top: np.ndarray | None  # [M] int64 argmax, when asked for
    positions: np.ndarray  # [M, 2] (row in the pass, position)
    targets: np.ndarray  # [M] label ids


def score_rows(model: MaskedLM, tokenizer: Tokenizer, enc: Encoded, labels: np.ndarray, part: slice, *,
               top: bool) -> Scored:
    """Run rows ``part`` of a batch and score their masked tokens (``top``: with the argmax of each)."""
    labels = labels[part]
    positions = np.argwhere(labels != IGNORE_INDEX)  # [M, 2] (row in part, position), row-major
    if len(positions) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Scored(np.zeros(0), empty, empty if top else None, positions, empty)
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
    return Scored(nll, rank, best, positions, targets)


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
