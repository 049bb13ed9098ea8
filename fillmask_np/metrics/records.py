"""Per-token records of an evaluation and the hardest (highest-loss) masked tokens with their context.

A record is one scored token: ``sample`` (i-th non-empty sample), ``position`` (token position in the
sample, 0 = the first token, e.g. [CLS]), ``input_id`` (what the model saw there: the mask token, a
random token or the kept one), ``label`` (the original id), ``loss`` (float64 NLL, nats), ``rank`` (of
the label; 0 = top-1) and ``top_id`` (the model's argmax); with ``top5=True`` also ``top5_ids`` and
``top5_probs`` ([T, 5]: the five best ids, highest first, and their probabilities). ``TokenCollector`` keeps every record
(``return_tokens``) and/or only the ``worst`` N of them in a heap, each with a few token ids on either
side, so that asking for the worst tokens of a big corpus keeps N records, not the corpus.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import MaskedBatch
    from ..tokenization import Tokenizer
    from .scoring import Scored

__all__ = ["COLUMNS", "TOP5_COLUMNS", "TokenCollector", "mark_target", "worst_rows"]

COLUMNS = ("sample", "position", "input_id", "label", "loss", "rank", "top_id")
TOP5_COLUMNS = ("top5_ids", "top5_probs")  # [T, 5] each, kept when ``TokenCollector(top5=True)``
CONTEXT = 8  # tokens shown on each side of a worst token


class TokenCollector:
    """Collects every record (``keep_all``) and/or the ``worst`` highest-loss ones (a heap of N); ``top5``: every
    record also holds the five best predictions and their probabilities (``TOP5_COLUMNS``)."""

    def __init__(self, *, keep_all: bool, worst: int, context: int = CONTEXT, top5: bool = False) -> None:
        self.keep_all, self.worst, self.context, self.top5 = keep_all, int(worst), int(context), bool(top5)
        self.parts: list[dict[str, np.ndarray]] = []
        self.heap: list[tuple[tuple[float, int, int], dict[str, Any]]] = []  # min-heap on (loss, -sample, -position)

    @property
    def active(self) -> bool:
        """Whether records are wanted at all (else scoring skips the argmax)."""
        return self.keep_all or self.worst > 0

    def add(self, batch: MaskedBatch, part: slice, scored: Scored) -> None:
        """Add a pass (rows ``part`` of ``batch``) of scored tokens."""
        if not self.active or len(scored.nll) == 0:
            return
        rows, positions = scored.positions[:, 0], scored.positions[:, 1]  # [M]
        ids = batch.enc.input_ids[part]  # [b, L]
        origin = positions if batch.origins is None else batch.origins[part][rows, positions]  # [M] in the sample
        record = dict(sample=np.asarray(batch.indices[part], dtype=np.int64)[rows], position=origin.astype(np.int64),
                      input_id=ids[rows, positions].astype(np.int64), label=scored.targets.astype(np.int64),
                      loss=scored.nll, rank=scored.rank, top_id=scored.top)
        if self.top5:
            record.update(top5_ids=scored.top5_ids, top5_probs=scored.top5_probs)  # [M, 5] each
        if self.keep_all:
            self.parts.append(record)
        if self.worst > 0:
            self._push_worst(record, rows, positions, ids, batch.enc.attention_mask[part].sum(axis=1))

    def _push_worst(self, record: dict[str, np.ndarray], rows: np.ndarray, columns: np.ndarray, ids: np.ndarray,
                    lengths: np.ndarray) -> None:
        """Offer a pass's records to the heap; ``ids`` [b, L] and ``lengths`` [b] are its rows, ``rows`` and
        ``columns`` [M] each token's place in them."""
        loss = record["loss"]
        candidates = np.arange(len(loss))
        if len(loss) > self.worst:  # only this pass's N highest can enter the heap
            candidates = np.argpartition(-loss, self.worst - 1)[: self.worst]
        c = self.context + 1  # one more id each side tells whether the shown context was cut
        for j in candidates:
            key = (float(loss[j]), -int(record["sample"][j]), -int(record["position"][j]))
            if len(self.heap) == self.worst and key <= self.heap[0][0]:
                continue
            r, p = int(rows[j]), int(columns[j])
            n = int(lengths[r])
            entry = {k: record[k][j].item() for k in COLUMNS}
            entry["left"] = ids[r, max(0, p - c) : p].tolist()
            entry["right"] = ids[r, p + 1 : min(n, p + 1 + c)].tolist()
            item = (key, entry)
            if len(self.heap) < self.worst:
                heapq.heappush(self.heap, item)
            else:
                heapq.heapreplace(self.heap, item)

    def columns(self) -> dict[str, np.ndarray]:
        """Every record, sorted by (sample, position): a dict of [T] arrays (see ``COLUMNS``; [T, 5] for
        ``TOP5_COLUMNS`` when ``top5``)."""
        keys = COLUMNS + (TOP5_COLUMNS if self.top5 else ())
        if not self.parts:
            return {k: np.zeros((0, 5) if k in TOP5_COLUMNS else 0, dtype=np.float64 if k in ("loss", "top5_probs")
                                else np.int64) for k in keys}
        out = {k: np.concatenate([p[k] for p in self.parts]) for k in keys}
        order = np.lexsort((out["position"], out["sample"]))
        return {k: v[order] for k, v in out.items()}

    def worst_records(self, tokenizer: Tokenizer) -> list[dict[str, Any]]:
        """The worst tokens, highest loss first (ties: lower sample, then position), with decoded context."""
        drop = set(tokenizer.all_special_ids) - {tokenizer.mask_token_id, tokenizer.unk_token_id}
        out = []
        for _, entry in sorted(self.heap, key=lambda item: item[0], reverse=True):
            entry = dict(entry)
            left = [i for i in entry.pop("left") if i not in drop]
            right = [i for i in entry.pop("right") if i not in drop]
            label_token, top_token = tokenizer.convert_ids_to_tokens([entry["label"], entry["top_id"]])
            text = mark_target(tokenizer, left[-self.context :], entry["label"], right[: self.context])
            entry.update(label_token=label_token, top_token=top_token,
                         context=("... " if len(left) > self.context else "") + text
                         + (" ..." if len(right) > self.context else ""))
            out.append(entry)
        return out


def mark_target(tokenizer: Tokenizer, left: list[int], target: int, right: list[int]) -> str:
    """Decode ``left + [target] + right`` with the target's text marked ``[[...]]``.

    >>> mark_target(tok, [1996, 4937], 2938, [2006])  # doctest: +SKIP
    'the cat [[sat]] on'
    """
    def decode(ids: list[int]) -> str:
        return tokenizer.decode(ids, skip_special_tokens=False)

    before, through, whole = decode(left), decode(left + [target]), decode(left + [target] + right)
    if through.startswith(before) and whole.startswith(through):  # the decoded target is a clean infix
        word = through[len(before) :]
        space = word[: len(word) - len(word.lstrip())]
        return f"{before}{space}[[{word.lstrip()}]]{whole[len(through):]}".strip()
    return f"{before} [[{decode([target]).strip()}]] {decode(right)}".strip()


def worst_rows(columns: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The ``n`` highest-loss records of ``columns``, highest first (ties: lower sample, then position)."""
    order = np.lexsort((columns["position"], columns["sample"], -columns["loss"]))[: max(0, int(n))]
    return {k: v[order] for k, v in columns.items()}
