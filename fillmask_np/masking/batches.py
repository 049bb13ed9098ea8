"""The batches an evaluation scores: non-empty samples, masked per sample or as HF's collator batches.

A ``Masker`` turns ``(sample indices, ids [b, L], special_tokens_mask, offsets [b, L, 2], lengths [b])`` into
``(masked ids, labels)``, both [b, L]: ``draw_masker`` draws new masks, ``replay.ReplayMasker``
reads them from a manifest; the batching around it is the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

import numpy as np

from ..config import replacement_shares
from .collator import IGNORE_INDEX, mask_tokens, sample_rng

if TYPE_CHECKING:  # pragma: no cover
    from ..config import MaskingConfig
    from ..tokenization import Encoded, Row, Tokenizer

__all__ = ["MaskedBatch", "Masker", "draw_masker", "hf_batch", "per_sample_batches"]


class MaskedBatch(NamedTuple):
    """A padded batch of masked samples: sample indices, the encoded (masked) batch, [b, L] labels."""

    indices: list[int]  # i-th non-empty sample of each row
    enc: Encoded  # input_ids already masked
    labels: np.ndarray  # [b, L] original ids at masked positions, IGNORE_INDEX elsewhere
    position_of: dict[int, int]  # sample index -> place in the source


# (sample indices, ids [b, L], special_tokens_mask [b, L], offsets [b, L, 2], lengths [b]) -> (masked ids, labels)
Masker = Callable[[list, np.ndarray, np.ndarray, "np.ndarray | None", np.ndarray], "tuple[np.ndarray, np.ndarray]"]


def draw_masker(config: MaskingConfig, *, mask_token_id: int, vocab_size: int) -> Masker:
    """Draw masks: per sample with ``sample_rng(seed, i)``, or (``"hf"``) with one Generator for the whole run."""
    hf_rng = np.random.default_rng(config.seed)  # as a seeded collator
    mask_p, random_p = replacement_shares(config.whole_word, config.mask_replace_prob, config.random_replace_prob)

    def mask(indices: list, ids: np.ndarray, special: np.ndarray, offsets: np.ndarray | None,
             lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = sample_rng(config.seed, indices[0]) if config.masking == "per_sample" else hf_rng
        return mask_tokens(ids, special_tokens_mask=special, rng=rng, offsets=offsets, mask_token_id=mask_token_id,
                           vocab_size=vocab_size, whole_word=config.whole_word,
                           mlm_probability=config.mlm_probability, mask_replace_prob=mask_p,
                           random_replace_prob=random_p)

    return mask


def hf_batch(indices: list[int], rows: list, tokenizer: Tokenizer, counts: dict[str, int],
             mask: Masker) -> tuple[list[int], Any, np.ndarray]:
    """One collator batch: padded to its longest row, then masked as a whole."""
    enc = tokenizer.pad(rows, length=max(len(r.ids) for r in rows))
    masked, labels = mask(indices, enc.input_ids, enc.special_tokens_mask, enc.offsets, enc.lengths)
    for row_special, row_labels in zip(enc.special_tokens_mask, labels):
        _count_unscored(row_special, row_labels, counts)
    return indices, replace(enc, input_ids=masked), labels


def per_sample_batches(indices: list[int], rows: list, tokenizer: Tokenizer, counts: dict[str, int], batch_size: int,
                       mask: Masker) -> list[tuple[list[int], Any, np.ndarray]]:
    """Mask each sample alone, then batch the scored ones by length."""
    kept: list[tuple[int, Row, np.ndarray]] = []
    for index, row in zip(indices, rows):
        masked, labels = mask([index], row.ids[None, :], row.special_tokens_mask[None, :], row.offsets[None],
                              np.array([len(row.ids)]))  # [1, L]
        if _count_unscored(row.special_tokens_mask, labels[0], counts):
            kept.append((index, row._replace(ids=masked[0]), labels[0]))
    kept.sort(key=lambda item: len(item[2]))
    batches = []
    for start in range(0, len(kept), batch_size):
        group = kept[start : start + batch_size]
        enc = tokenizer.pad([g[1] for g in group], length=max(len(g[2]) for g in group))
        labels = np.full(enc.input_ids.shape, IGNORE_INDEX, dtype=np.int64)
        for r, (_, _, row_labels) in enumerate(group):
            labels[r, : len(row_labels)] = row_labels
        batches.append(([g[0] for g in group], enc, labels))
    return batches


def _count_unscored(special: np.ndarray, labels: np.ndarray, counts: dict[str, int]) -> bool:
    """Count a sample with nothing maskable or nothing drawn; True when it has a masked token."""
    if np.all(special != 0):
        counts["n_unmaskable"] += 1
        return False
    if not np.any(labels != IGNORE_INDEX):
        counts["n_no_mask_drawn"] += 1
        return False
    return True

