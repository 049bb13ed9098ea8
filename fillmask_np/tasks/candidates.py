"""Which token ids ``generate`` may write: every id, single-token ``targets``, and without special tokens.

``exclude_special`` (on by default in ``generate``) removes the tokenizer's special ids (``[CLS]``,
``[SEP]``, ``[MASK]``, ``<pad>``, ... : ``Tokenizer.all_special_ids``) and the logits columns at or beyond
``len(tokenizer)``, which no token has (DeBERTa-v3's logits are wider than its vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import FillMaskError
from .targets import resolve_targets

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["Allowed", "allowed_ids"]


@dataclass
class Allowed:
    """The allowed ids as ``columns`` of the logits: None (every column), or an int64 [C] array.

    ``targets`` [T] keeps the targets' order; otherwise the columns increase. Resolved once the logits'
    width is known (``__call__(vocab)``), since a model may learn it on its first run.
    """

    targets: np.ndarray | None = None
    excluded: np.ndarray | None = None  # special ids; None: nothing excluded
    limit: int | None = None  # ids >= limit are excluded too (len(tokenizer)), with ``excluded``
    _cache: dict[int, np.ndarray | None] = field(default_factory=dict)

    def __call__(self, vocab: int) -> np.ndarray | None:
        """The columns for logits ``vocab`` wide."""
        if vocab not in self._cache:
            ids = np.arange(vocab, dtype=np.int64) if self.targets is None else self.targets  # [C]
            if self.excluded is not None:
                ids = ids[~np.isin(ids, self.excluded) & (ids < min(vocab, self.limit or vocab))]
            if len(ids) == 0:
                raise FillMaskError("no token is left to generate: every target is a special token; pass other "
                                    "targets or exclude_special=False")
            self._cache[vocab] = None if self.targets is None and self.excluded is None else ids
        return self._cache[vocab]


def allowed_ids(tokenizer: Tokenizer, targets: str | Sequence[str] | None, exclude_special: bool) -> Allowed:
    """The allowed ids of ``generate(targets=..., exclude_special=...)``.

    Args:
        tokenizer: resolves the targets, names the special ids.
        targets: words, each a vocabulary entry or one token (as fill_mask's single-token targets); None: all.
        exclude_special: drop the special ids and the columns beyond ``len(tokenizer)``.
    Returns:
        an ``Allowed``.
    """
    ids = None
    if targets is not None:
        resolved = resolve_targets(tokenizer, targets)
        multi = [t.text for t in resolved if len(t.pieces) > 1]
        if multi:
            raise FillMaskError(f"targets {multi!r} are several tokens each; generation fills one token per mask: "
                                f"pass single-token targets (vocabulary entries)")
        ids = np.array([t.pieces[0] for t in resolved], dtype=np.int64)  # [T]
    if not exclude_special:
        return Allowed(ids)
    return Allowed(ids, np.asarray(tokenizer.all_special_ids, dtype=np.int64), len(tokenizer))
