"""The text a tokenizer could not read: how many of encoded rows' tokens are its unknown token ([UNK], <unk>)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .batch import Row

if TYPE_CHECKING:  # pragma: no cover
    from .tokenizer import Tokenizer

__all__ = ["count_unknown"]


def count_unknown(tokenizer: Tokenizer, rows: Sequence[Row]) -> tuple[int, int]:
    """``(unknown, text)`` token counts of encoded rows: the tokens that are the unknown token, and the tokens that
    are no special token other than it (the text's own tokens, read or not).

    Args:
        tokenizer: the tokenizer that encoded ``rows``.
        rows: rows from ``Tokenizer.encode_rows`` (either special-token policy: the counts look at the ids only).
    Returns:
        the two counts; unknown is 0 when the tokenizer has no unknown token.
    """
    unk = tokenizer.unk_token_id
    specials = np.asarray([i for i in tokenizer.all_special_ids if i != unk], dtype=np.int64)
    ids = np.concatenate([r.ids for r in rows]) if len(rows) else np.zeros(0, dtype=np.int64)  # [sum of L]
    unknown = 0 if unk is None else int(np.count_nonzero(ids == unk))
    return unknown, int(np.count_nonzero(~np.isin(ids, specials)))
