"""Encoded rows and padded batches: the arrays the tokenizer hands to masking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["Row", "Encoded", "pad_rows"]


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
    ids = np.full((n, length), pad_token_id, dtype=np.int64)
    types = np.zeros((n, length), dtype=np.int64)
    special = np.ones((n, length), dtype=np.int64)  # padding is never maskable
    attention = np.zeros((n, length), dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    truncated = np.zeros(n, dtype=bool)
    offsets = np.zeros((n, length, 2), dtype=np.int64)
    for i, row in enumerate(rows):
        k = len(row.ids)
        assert k <= length, "rows longer than the padded length"
        ids[i, :k], types[i, :k], special[i, :k] = row.ids, row.type_ids, row.special_tokens_mask
        offsets[i, :k] = row.offsets
        attention[i, :k] = 1
        lengths[i], truncated[i] = k, row.truncated
    return Encoded(ids, attention, types, special, lengths, truncated, offsets)
