"""``fill_mask(targets=...)``: resolve target words to token pieces, and score multi-piece targets by
pseudo-log-likelihood (PLL) in batched model runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import FillMaskError
from ..numerics import row_nll_and_rank
from ..tokenization import pad_ids
from .prompts import Prompt, check_length

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["Target", "resolve_targets", "splice", "pll_log_scores"]

_ROWS_PER_RUN = 32  # copies scored per model run: [32, L] inputs, [32, V] logits


@dataclass(frozen=True)
class Target:
    """A target word: its first spelling and its token pieces (one piece: HF's single-token target)."""

    text: str
    pieces: tuple[int, ...]


def resolve_targets(tokenizer: Tokenizer, targets: str | Sequence[str]) -> list[Target]:
    """Token pieces of each target, as the pipeline's ``get_target_ids``, deduplicated by pieces.

    A target that is a vocabulary entry (``"cat"``, ``"Ġcat"``, ``"##s"``) is that one token; any other is
    tokenized without special tokens (``" cat"`` -> ``Ġcat``) and keeps all its pieces.
    """
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, (list, tuple)) or not targets or not all(isinstance(t, str) for t in targets):
        raise FillMaskError(f"targets={targets!r} must be a non-empty list of strings (or one string), "
                            f"e.g. targets=['cat', 'dog']")
    unk = tokenizer.unk_token_id
    found: dict[tuple[int, ...], Target] = {}
    for text in targets:
        token_id = tokenizer.backend.token_to_id(text)
        pieces = (int(token_id),) if token_id is not None else tuple(
            int(i) for i in tokenizer.backend.encode(text, add_special_tokens=False).ids)
        if not pieces:
            raise FillMaskError(f"target {text!r} tokenizes to nothing with tokenizer {tokenizer.source!r}; "
                                f"pass a word this tokenizer keeps (not empty or whitespace only)")
        if token_id is None and unk is not None and unk in pieces:
            raise FillMaskError(f"target {text!r} is unknown to tokenizer {tokenizer.source!r}: it tokenizes to "
                                f"{tokenizer.convert_ids_to_tokens(pieces)}; pass a word made of known pieces")
        found.setdefault(pieces, Target(text, pieces))
    return list(found.values())


def splice(prompt: Prompt, position: int, pieces: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``prompt``'s ids and token types [L] with the token at ``position`` replaced by ``pieces`` [L + k - 1]."""
    ids = np.concatenate([prompt.ids[:position], np.asarray(pieces, dtype=prompt.ids.dtype),
                          prompt.ids[position + 1:]])
    types = np.concatenate([prompt.type_ids[:position], np.repeat(prompt.type_ids[position], len(pieces)),
                            prompt.type_ids[position + 1:]])
    return ids, types


def pll_log_scores(model: MaskedLM, tokenizer: Tokenizer, prompt: Prompt, targets: Sequence[Target]) -> np.ndarray:
    """Pseudo-log-likelihood [K, T] (float64) of each target at each mask of ``prompt``.

    ``pll[i, t] = sum_j log P(piece_j | the text with mask i replaced by target t's pieces and piece j
    masked alone)``: one copy of the text per piece, every copy of every (mask, target) pair scored in
    runs of ``_ROWS_PER_RUN`` padded rows. The other masks of the text stay masked.
    """
    rows: list[tuple[np.ndarray, np.ndarray, int, int, int]] = []  # (ids, types, position, piece id, pair index)
    for i, position in enumerate(prompt.masks):
        for t, target in enumerate(targets):
            ids, types = splice(prompt, int(position), target.pieces)
            check_length(model, len(ids), what=f"the text with target {target.text!r}")
            for j, piece in enumerate(target.pieces):
                copy = ids.copy()
                copy[position + j] = tokenizer.mask_token_id
                rows.append((copy, types, int(position) + j, piece, i * len(targets) + t))
    total = np.zeros(len(prompt.masks) * len(targets), dtype=np.float64)  # [K * T]
    for start in range(0, len(rows), _ROWS_PER_RUN):
        chunk = rows[start:start + _ROWS_PER_RUN]
        ids, attention, types = pad_ids([c[0] for c in chunk], [c[1] for c in chunk],
                                        pad_token_id=tokenizer.pad_token_id)  # [m, W] each
        at = np.array([(r, c[2]) for r, c in enumerate(chunk)], dtype=np.int64)  # [m, 2]
        logits = model.masked_logits(ids, attention, types, at, pad_token_id=tokenizer.pad_token_id)  # [m, V]
        nll, _ = row_nll_and_rank(logits, np.array([c[3] for c in chunk], dtype=np.int64))  # [m]
        np.add.at(total, np.array([c[4] for c in chunk]), -nll)
    return total.reshape(len(prompt.masks), len(targets))  # [K, T]
