"""The batches an evaluation scores: non-empty samples, masked per sample or as HF's collator batches.

A ``Masker`` turns ``(sample indices, ids [b, L], special_tokens_mask, offsets [b, L, 2], lengths [b])`` into
``(masked ids, labels)``, both [b, L]: ``draw_masker`` draws new masks, ``_masks_replay.ReplayMasker``
reads them from a manifest; the batching around it is the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from ._eval_report import Totals
from .errors import FillMaskError
from .masking import IGNORE_INDEX, mask_tokens, sample_rng

if TYPE_CHECKING:  # pragma: no cover
    from .tokenizer import Row, Tokenizer

# (sample indices, ids [b, L], special_tokens_mask [b, L], offsets [b, L, 2], lengths [b]) -> (masked ids, labels)
Masker = Callable[[list, np.ndarray, np.ndarray, np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


def draw_masker(masking: str, seed: int, mask_args: dict) -> Masker:
    """Draw masks: per sample with ``sample_rng(seed, i)``, or (``"hf"``) with one Generator for the whole run."""
    hf_rng = np.random.default_rng(seed)  # as a seeded collator

    def mask(indices: list, ids: np.ndarray, special: np.ndarray, offsets: np.ndarray,
             lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = sample_rng(seed, indices[0]) if masking == "per_sample" else hf_rng
        return mask_tokens(ids, special_tokens_mask=special, rng=rng, offsets=offsets, **mask_args)

    return mask


def non_empty(items: Iterator[tuple[int, str]], totals: Totals,
               limit: int | None) -> Iterator[tuple[int, int, str]]:
    """Yield ``(sample index, source position, text)`` for the non-empty samples, counting the empty ones."""
    for position, text in items:
        if limit is not None and totals.counts["n_samples"] >= limit:
            return
        if not text.strip():
            totals.counts["n_empty"] += 1
            continue
        totals.counts["n_samples"] += 1
        yield totals.counts["n_samples"] - 1, position, text


def hf_batch(indices: list[int], rows: list, tokenizer: Tokenizer, totals: Totals,
             mask: Masker) -> tuple[list[int], Any, np.ndarray]:
    """One collator batch: padded to its longest row, then masked as a whole."""
    enc = tokenizer.pad(rows, length=max(len(r.ids) for r in rows))
    masked, labels = mask(indices, enc.input_ids, enc.special_tokens_mask, enc.offsets, enc.lengths)
    for row_special, row_labels in zip(enc.special_tokens_mask, labels):
        _count_unscored(row_special, row_labels, totals)
    return indices, replace(enc, input_ids=masked), labels


def per_sample_batches(indices: list[int], rows: list, tokenizer: Tokenizer, totals: Totals, batch_size: int,
                       mask: Masker) -> list[tuple[list[int], Any, np.ndarray]]:
    """Mask each sample alone, then batch the scored ones by length."""
    kept: list[tuple[int, Row, np.ndarray]] = []
    for index, row in zip(indices, rows):
        masked, labels = mask([index], row.ids[None, :], row.special_tokens_mask[None, :], row.offsets[None],
                              np.array([len(row.ids)]))  # [1, L]
        if _count_unscored(row.special_tokens_mask, labels[0], totals):
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


def replacement_shares(whole_word: bool, mask_replace_prob: float | None,
                 random_replace_prob: float | None) -> tuple[float, float]:
    """The replacement shares: HF's defaults, or (1, 0) for whole-word masking, which allows nothing else."""
    if not whole_word:
        return (0.8 if mask_replace_prob is None else mask_replace_prob,
                0.1 if random_replace_prob is None else random_replace_prob)
    if (mask_replace_prob not in (None, 1, 1.0)) or (random_replace_prob not in (None, 0, 0.0)):
        raise FillMaskError(f"whole-word masking replaces every selected token with the mask token (HF's collator "
                            f"forces it); got mask_replace_prob={mask_replace_prob!r}, random_replace_prob="
                            f"{random_replace_prob!r}: leave them unset or pass 1.0 and 0.0")
    return 1.0, 0.0


def _count_unscored(special: np.ndarray, labels: np.ndarray, totals: Totals) -> bool:
    """Count a sample with nothing maskable or nothing drawn; True when it has a masked token."""
    if np.all(special != 0):
        totals.counts["n_unmaskable"] += 1
        return False
    if not np.any(labels != IGNORE_INDEX):
        totals.counts["n_no_mask_drawn"] += 1
        return False
    return True

