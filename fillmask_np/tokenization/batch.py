"""Encoded rows and padded batches: the arrays the tokenizer hands to masking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["Row", "Encoded", "pad_rows", "pad_ids"]


class Row(NamedTuple):
    """One encoded, unpadded text (int64 arrays of its length L; ``offsets`` is [L, 2] character spans)."""

    ids: np.ndarray
    type_ids: np.ndarray
    special_tokens_mask: np.ndarray  # 1 where masking may never select (see the special-token policies)
    truncated: bool  # the text was longer than max_length
    offsets: np.ndarray
    word_ids: np.ndarray | None = None  # [L] HF's word_ids() (-1 for its None), when encode_rows(word_ids=True)


@dataclass(frozen=True)
class Encoded:
    """A padded batch: every array is int64 [B, L]; ``lengths`` and ``truncated`` are [B]."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    special_tokens_mask: np.ndarray  # 1 on template special tokens and on padding
    lengths: np.ndarray  # real (unpadded) length of each row
    truncated: np.ndarray  # bool: the text was longer than max_length
    offsets: np.ndarray | None = None  # [B, L, 2] character spans, (0, 0) on specials and padding


def pad_ids(ids: Sequence[np.ndarray], type_ids: Sequence[np.ndarray] | None = None, *, pad_token_id: int,
            width: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-pad id rows of different lengths into one batch: the model inputs of a padded batch.

    Args:
        ids: B int rows, row b of length L_b.
        type_ids: their token types (same lengths), or None for all 0.
        pad_token_id: the id written after each row.
        width: the padded length W (at least the longest row); None: the longest row.
    Returns:
        int64 ``(input_ids, attention_mask, token_type_ids)``, each [B, W]: the mask 1 on each row's own
        tokens, the types 0 on padding.

    >>> pad_ids([np.array([5, 6]), np.array([7])], pad_token_id=0)[0].tolist()
    [[5, 6], [7, 0]]
    """
    width = max((len(row) for row in ids), default=0) if width is None else width
    out = np.full((len(ids), width), pad_token_id, dtype=np.int64)  # [B, W]
    attention = np.zeros((len(ids), width), dtype=np.int64)  # [B, W]
    types = np.zeros((len(ids), width), dtype=np.int64)  # [B, W]
    for b, row in enumerate(ids):
        k = len(row)
        out[b, :k], attention[b, :k] = row, 1
        if type_ids is not None:
            types[b, :k] = type_ids[b]
    return out, attention, types


def pad_rows(rows: Sequence[Row], *, length: int, pad_token_id: int,
             pad_to_multiple_of: int | None = None) -> Encoded:
    """Right-pad ``rows`` to ``length`` (rounded up to ``pad_to_multiple_of``) with ``pad_token_id``.

    Args:
        rows: unpadded rows, each at most ``length`` long.
        length: the padded length [L].
        pad_token_id: the id written into padding.
        pad_to_multiple_of: round ``length`` up to a multiple of this.
    Returns:
        an ``Encoded`` batch of int64 [B, L] arrays; padding is marked special (never masked).
    """
    if pad_to_multiple_of:
        length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    n = len(rows)
    assert all(len(row.ids) <= length for row in rows), "rows longer than the padded length"
    ids, attention, types = pad_ids([row.ids for row in rows], [row.type_ids for row in rows],
                                    pad_token_id=pad_token_id, width=length)  # [B, L] each
    special = np.ones((n, length), dtype=np.int64)  # padding is never maskable
    lengths = np.zeros(n, dtype=np.int64)
    truncated = np.zeros(n, dtype=bool)
    offsets = np.zeros((n, length, 2), dtype=np.int64)
    for i, row in enumerate(rows):
        k = len(row.ids)
        special[i, :k], offsets[i, :k] = row.special_tokens_mask, row.offsets
        lengths[i], truncated[i] = k, row.truncated
    return Encoded(ids, attention, types, special, lengths, truncated, offsets)
