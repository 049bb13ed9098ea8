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
    from .windows import Windowing

__all__ = ["MaskedBatch", "Masker", "draw_masker", "hf_batch", "per_sample_batches", "window_batches"]


class MaskedBatch(NamedTuple):
    """A padded batch of masked samples: sample indices, the encoded (masked) batch, [b, L] labels."""

    indices: list[int]  # i-th non-empty sample of each row
    enc: Encoded  # input_ids already masked
    labels: np.ndarray  # [b, L] original ids at masked positions, IGNORE_INDEX elsewhere
    position_of: dict[int, int]  # sample index -> place in the source
    origins: np.ndarray | None = None  # [b, L] each token's position in its whole sample (long="window"); None: same


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


def window_batches(indices: list[int], rows: list, tokenizer: Tokenizer, counts: dict[str, int], batch_size: int,
                   mask: Masker, plan: Windowing) -> list[tuple[list[int], Any, np.ndarray, np.ndarray]]:
    """Mask each whole sample alone (as ``per_sample_batches``), cut the longer ones into ``plan``'s windows, each
    keeping the labels of the tokens it owns, and batch them by length: every window of a sample in one batch, at
    most ``batch_size`` windows a batch unless one sample has more. Samples of one window batch as
    ``per_sample_batches`` does. Each batch: (sample of each row, encoded rows, [b, L] labels, [b, L] positions in
    the whole sample, -1 on padding)."""
    kept: list[tuple[int, list[tuple[Row, np.ndarray, np.ndarray]]]] = []  # (sample, its windows)
    for index, row in zip(indices, rows):
        masked, labels = mask([index], row.ids[None, :], row.special_tokens_mask[None, :], row.offsets[None],
                              np.array([len(row.ids)]))  # [1, L]: drawn once over the whole sample
        if not _count_unscored(row.special_tokens_mask, labels[0], counts):
            continue
        whole = [(row._replace(ids=masked[0]), labels[0], np.arange(len(row.ids)))]
        if len(row.ids) > plan.max_length:
            whole = [(row._replace(ids=masked[0][w.take], type_ids=row.type_ids[w.take],
                                   special_tokens_mask=row.special_tokens_mask[w.take], offsets=row.offsets[w.take],
                                   truncated=False), np.where(w.owned, labels[0][w.take], IGNORE_INDEX), w.take)
                     for w in plan.windows(len(row.ids))]  # [Lw] each
            whole = [piece for piece in whole if np.any(piece[1] != IGNORE_INDEX)]
        kept.append((index, whole))
    kept.sort(key=lambda item: len(item[1][0][1]))
    groups: list[list[tuple[int, list[tuple[Row, np.ndarray, np.ndarray]]]]] = []
    for item in kept:
        if not groups or sum(len(g[1]) for g in groups[-1]) + len(item[1]) > batch_size:
            groups.append([])
        groups[-1].append(item)
    batches = []
    for group in groups:
        pieces = [(index, *piece) for index, whole in group for piece in whole]
        enc = tokenizer.pad([p[1] for p in pieces], length=max(len(p[2]) for p in pieces))
        labels = np.full(enc.input_ids.shape, IGNORE_INDEX, dtype=np.int64)  # [b, L]
        origins = np.full(enc.input_ids.shape, -1, dtype=np.int64)  # [b, L]
        for r, (_, _, row_labels, take) in enumerate(pieces):
            labels[r, : len(row_labels)], origins[r, : len(take)] = row_labels, take
        batches.append(([p[0] for p in pieces], enc, labels, origins))
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

