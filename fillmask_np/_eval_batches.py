"""The batches an evaluation scores: non-empty samples, masked per sample or as HF's collator batches."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ._eval_report import Totals
from .errors import FillMaskError
from .masking import IGNORE_INDEX, mask_tokens, sample_rng

if TYPE_CHECKING:  # pragma: no cover
    from .tokenizer import Row, Tokenizer


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


def hf_batch(indices: list[int], rows: list, tokenizer: Tokenizer, totals: Totals, rng: np.random.Generator,
              mask_args: dict) -> tuple[list[int], Any, np.ndarray]:
    """One collator batch: padded to its longest row, masked by the evaluation's single Generator."""
    enc = tokenizer.pad(rows, length=max(len(r.ids) for r in rows))
    masked, labels = mask_tokens(enc.input_ids, special_tokens_mask=enc.special_tokens_mask, rng=rng,
                                 offsets=enc.offsets, **mask_args)
    for row_special, row_labels in zip(enc.special_tokens_mask, labels):
        _count_unscored(row_special, row_labels, totals)
    return indices, replace(enc, input_ids=masked), labels


def per_sample_batches(indices: list[int], rows: list, tokenizer: Tokenizer, totals: Totals, seed: int,
                        batch_size: int, mask_args: dict) -> list[tuple[list[int], Any, np.ndarray]]:
    """Mask each sample alone with its own Generator, then batch the scored ones by length."""
    kept: list[tuple[int, Row, np.ndarray]] = []
    for index, row in zip(indices, rows):
        masked, labels = mask_tokens(row.ids[None, :], special_tokens_mask=row.special_tokens_mask[None, :],
                                     rng=sample_rng(seed, index), offsets=row.offsets[None], **mask_args)  # [1, L]
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

