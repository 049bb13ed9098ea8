"""The forward passes behind variant scoring: rows of residue sequences (or of their windows), at most one residue
masked per row, log-probabilities read at chosen positions.

A sequence longer than the model is cut into windows of W residues by ``masking.windows`` (``long="window"``: starts
0, S, 2S, ... and one ending at the last residue; each residue read in the window where it is farthest from the
nearer edge), with the template's special tokens around the window. Rows are built a batch at a time, so
a deep-mutational scan's millions of pseudo-ppl rows never sit in memory at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Sequence

import numpy as np

from ..errors import FillMaskError
from ..masking import owner_windows, window_starts
from ..numerics import log_softmax
from ..text import Progress

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer
    from ..tokenization.residues import ResidueTemplate

__all__ = ["Layout", "RowPlan", "layout", "run_rows"]


class Layout(NamedTuple):
    """Where each residue of an N-residue sequence is read: its window."""

    spans: list[tuple[int, int]]  # [(start, end)] residue spans of the windows, in order
    owner: np.ndarray  # [N] int64 index of the window each residue is read in


class RowPlan(NamedTuple):
    """Rows to run and the reads to take from them (reads sorted by row)."""

    row_seq: np.ndarray  # [R] index of the row's sequence
    row_window: np.ndarray  # [R] index of the row's window
    row_mask: np.ndarray  # [R] residue index replaced by the mask token, or -1 for none
    read_row: np.ndarray  # [M] row of each read, ascending
    read_pos: np.ndarray  # [M] residue index read


def layout(n: int, width: int, stride: int) -> Layout:
    """The windows of an ``n``-residue sequence for a model that takes ``width`` residues, and each residue's owner.

    >>> layout(10, 4, 3).spans
    [(0, 4), (3, 7), (6, 10)]
    >>> layout(10, 4, 3).owner.tolist()
    [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    """
    starts = window_starts(n, width, stride)  # [K]
    return Layout([(s, min(s + width, n)) for s in starts.tolist()], owner_windows(n, width, starts))


def run_rows(model: MaskedLM, tokenizer: Tokenizer, template: ResidueTemplate, sequences: Sequence[np.ndarray],
             where: Layout, plan: RowPlan, *, labels: bool, token_budget: int, logits_budget: int,
             progress: bool | None = False) -> np.ndarray:
    """Run the planned rows; the float64 log-softmax at every read.

    Args:
        model, tokenizer: the pair (checked by the caller).
        template: the special tokens around each row's residues.
        sequences: [N] residue ids of each sequence (all of one length N).
        where: the windows of an N-residue sequence.
        plan: the rows and reads.
        labels: True: return [M] log p(the sequence's own residue at the read); False: [M, V] whole rows.
        token_budget: at most this many rows x length per model call.
        logits_budget: at most this many logits per model call (rows x length x vocab unless the model gathers).
        progress: a progress bar of the rows run on stderr (None: when stderr is a terminal).
    Returns:
        [M] or [M, V] float64, in read order.
    """
    span = where.spans[0][1] - where.spans[0][0]
    length = len(template.prefix) + span + len(template.suffix)
    vocab = model.vocab_size or len(tokenizer)
    per_row = vocab if model.gathers_positions else vocab * length
    step = max(1, min(token_budget // length, logits_budget // per_row))
    out: list[np.ndarray] = []
    bar = Progress(enabled=progress, label="variants", total=len(plan.row_seq), unit="row")
    for first in range(0, len(plan.row_seq), step):
        last = min(first + step, len(plan.row_seq))
        lo, hi = np.searchsorted(plan.read_row, [first, last])  # reads of rows first..last-1
        ids = _batch_ids(template, sequences, where, plan, first, last, tokenizer.mask_token_id)  # [B, L]
        rows = plan.read_row[lo:hi] - first  # [m]
        residue = plan.read_pos[lo:hi]  # [m]
        positions = np.stack([rows, residue - _starts(where, plan.row_window[plan.read_row[lo:hi]])
                              + len(template.prefix)], axis=1)  # [m, 2]
        mask = np.ones_like(ids)
        types = np.full_like(ids, template.type_id)
        logits = model.masked_logits(ids, mask, types, positions, pad_token_id=tokenizer.pad_token_id)  # [m, V]
        scores = log_softmax(np.asarray(logits, dtype=np.float64))  # [m, V]
        bar.update(last - first, ids.size)
        if not labels:
            out.append(scores)
            continue
        target = np.array([sequences[s][p] for s, p in zip(plan.row_seq[plan.read_row[lo:hi]], residue)],
                          dtype=np.int64)  # [m]
        if len(target) and target.max() >= scores.shape[1]:
            raise FillMaskError(f"token id {int(target.max())} is outside the model's {scores.shape[1]} logits; "
                                f"the tokenizer does not belong to this model")
        out.append(scores[np.arange(len(target)), target])
    bar.close()
    if not out:
        return np.zeros((0,) if labels else (0, vocab), dtype=np.float64)
    return np.concatenate(out)


def _starts(where: Layout, windows: np.ndarray) -> np.ndarray:
    """[k] window indices -> [k] their first residue."""
    return np.array([s for s, _ in where.spans], dtype=np.int64)[windows]


def _batch_ids(template: ResidueTemplate, sequences: Sequence[np.ndarray], where: Layout, plan: RowPlan,
               first: int, last: int, mask_id: int) -> np.ndarray:
    """[B, L] input ids of rows first..last-1: the window's residues, its masked residue, the specials around."""
    rows = []
    for seq, window, masked in zip(plan.row_seq[first:last], plan.row_window[first:last], plan.row_mask[first:last]):
        start, end = where.spans[int(window)]
        residues = sequences[int(seq)][start:end].copy()  # [W]
        if masked >= 0:
            residues[int(masked) - start] = mask_id
        rows.append(template.row(residues))
    return np.stack(rows)
