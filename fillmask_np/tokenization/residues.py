"""Protein residues as pre-split words: one token per residue, the tokenizer's special tokens around them.

ESM's character-level tokenizer and a word-level residue vocabulary give one token per residue; so does a
WordPiece vocabulary holding every residue letter. A tokenizer that splits a residue into pieces, drops it, or
reads it as its unknown token is refused, naming the residue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Sequence

import numpy as np

from ..errors import TokenizerError

if TYPE_CHECKING:  # pragma: no cover
    from .tokenizer import Tokenizer

__all__ = ["ResidueTemplate", "residue_template", "residue_ids"]


class ResidueTemplate(NamedTuple):
    """The tokens the tokenizer puts around a run of residues: ``prefix + residues + suffix`` is one model row."""

    prefix: np.ndarray  # [P] int64 ids before the residues (ESM: <cls>)
    suffix: np.ndarray  # [Q] int64 ids after them (ESM: <eos>)
    type_id: int  # the token type of every token of the row

    def row(self, residues: np.ndarray) -> np.ndarray:
        """[N] residue ids -> [P + N + Q] the model's input ids."""
        return np.concatenate([self.prefix, residues, self.suffix])

    @property
    def n_special(self) -> int:
        """How many tokens the template adds around the residues."""
        return len(self.prefix) + len(self.suffix)


def residue_ids(tokenizer: Tokenizer, residues: Sequence[str], *, what: str = "sequence") -> np.ndarray:
    """[N] int64: the token id of each residue, each encoded as its own pre-split word.

    Args:
        tokenizer: the model's tokenizer.
        residues: the residues (one-character strings, or a sequence string).
        what: how a message names where the residues come from.
    Returns:
        one id per residue.
    Raises:
        TokenizerError: a residue that is not exactly one known token, named with its position.
    """
    letters = list(residues)
    distinct = sorted(set(letters))
    table = dict(zip(distinct, _letter_ids(tokenizer, distinct, what=what)))
    return np.array([table[letter] for letter in letters], dtype=np.int64)


def residue_template(tokenizer: Tokenizer) -> ResidueTemplate:
    """The special tokens the tokenizer adds around one sequence of pre-split words."""
    encoding = tokenizer.backend.encode(["A"], is_pretokenized=True)
    words = list(encoding.word_ids)
    first = words.index(0) if 0 in words else len(words)
    last = len(words) - 1 - words[::-1].index(0) if 0 in words else len(words)
    ids = np.asarray(encoding.ids, dtype=np.int64)
    types = set(encoding.type_ids)
    return ResidueTemplate(ids[:first], ids[last + 1:], int(min(types)) if types else 0)


def _letter_ids(tokenizer: Tokenizer, letters: list[str], *, what: str) -> list[int]:
    """The one token id of each distinct residue letter, or a ``TokenizerError`` naming the first that is not."""
    if not letters:
        return []
    encoding = tokenizer.backend.encode(letters, is_pretokenized=True)
    words = np.array([-1 if w is None else w for w in encoding.word_ids], dtype=np.int64)  # [T]
    ids = np.asarray(encoding.ids, dtype=np.int64)  # [T]
    special = np.asarray(encoding.special_tokens_mask, dtype=bool)  # [T]
    unk = tokenizer.unk_token_id
    found = []
    for k, letter in enumerate(letters):
        if len(letter) != 1 or letter.isspace():
            raise TokenizerError(f"residue {letter!r} in the {what} is not one non-space character; write a protein "
                                 f"as one letter per residue")
        pieces = ids[(words == k) & ~special]
        if len(pieces) != 1:
            shown = tokenizer.convert_ids_to_tokens(pieces.tolist())
            raise TokenizerError(f"tokenizer {tokenizer.source!r} reads residue {letter!r} as {len(pieces)} tokens "
                                 f"{shown}, not one: scoring variants needs one token per residue (ESM's "
                                 f"tokenizer or a residue vocabulary)")
        if unk is not None and int(pieces[0]) == unk and letter != tokenizer.backend.id_to_token(unk):
            raise TokenizerError(f"unknown residue {letter!r} in the {what}: tokenizer {tokenizer.source!r} has no "
                                 f"token for it (it reads as {tokenizer.backend.id_to_token(unk)!r}); use the "
                                 f"model's residue alphabet")
        found.append(int(pieces[0]))
    return found
