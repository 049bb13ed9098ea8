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
    """The allowed ids for logits ``vocab`` wide, resolved once that width is known (a model may learn it on
    its first run): ``columns(vocab)`` and ``blocked(vocab)``."""

    targets: np.ndarray | None = None  # [T] the target ids, in the targets' order; None: every id
    excluded: np.ndarray | None = None  # special ids; None: nothing excluded
    limit: int | None = None  # ids >= limit are excluded too (len(tokenizer)), with ``excluded``
    _cache: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = field(default_factory=dict)

    def resolve(self, vocab: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(columns, blocked)`` for logits ``vocab`` wide.

        Args:
            vocab: the logits' width V.
        Returns:
            columns: [C] int64 the target ids left (targets' order), or None when there are no targets;
            blocked: [V] bool, True at the ids never chosen, or None when none is (always None with targets).
        """
        if vocab not in self._cache:
            blocked = None
            if self.excluded is not None:
                blocked = np.zeros(vocab, dtype=bool)  # [V]
                blocked[self.excluded[self.excluded < vocab]] = True
                blocked[min(vocab, self.limit or vocab):] = True
            columns = self.targets
            if columns is not None and blocked is not None:
                columns = columns[~blocked[np.minimum(columns, vocab - 1)] & (columns < vocab)]
                if len(columns) == 0:
                    raise FillMaskError("no token is left to generate: every target is a special token; pass "
                                        "other targets or exclude_special=False")
                blocked = None
            self._cache[vocab] = (columns, blocked)
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
