"""The check ``optimize`` runs before writing: the new model against the original on seeded random batches.

Batches of several sizes and lengths, rows padded to random lengths, token types switching at a random
point, and masked positions drawn over the real tokens (always the first and the last). Both models
run through ``OnnxMaskedLM.masked_logits``, so the comparison covers exactly what ``evaluate`` and
``fill_mask`` consume. The figures: the largest absolute logit difference, the share of rows whose
arg-max agrees, and the cross-entropy of each model with the input token as the label (the model
sees the token; a lossy model predicts it less well, which the relative change measures).
``batch_difference`` runs the written model on each row of the padded check batches alone and compares:
0.0 when a sample's logits do not depend on what it is batched with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import ModelError
from ..numerics import row_nll_and_rank
from ..runtime import OnnxMaskedLM, config_int

__all__ = ["CheckResult", "batch_difference", "compare", "SHAPES"]

SHAPES = ((1, 7), (2, 16), (3, 33), (4, 64))  # (batch, length) of the check batches, lengths capped by the model


@dataclass(frozen=True)
class CheckResult:
    """How far ``new`` is from ``reference`` at the checked positions."""

    max_abs_diff: float
    top1_agreement: float
    cross_entropy: float  # reference model, input tokens as labels
    cross_entropy_new: float
    n_rows: int
    shapes: tuple[tuple[int, int], ...]

    @property
    def ce_rel_change(self) -> float:
        return (self.cross_entropy_new - self.cross_entropy) / self.cross_entropy


def _batches(model: OnnxMaskedLM, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                               tuple[int, int]]]:
    """Yield seeded (ids, mask, token types, positions [M, 2]) batches the model accepts."""
    rng = np.random.default_rng([seed, 20240607])
    vocab = model.vocab_size or config_int(model.config, "vocab_size")
    if vocab is None:  # a dynamic vocabulary: one run on a tiny batch tells it
        vocab = model(np.zeros((1, 2), dtype=np.int64), np.ones((1, 2), dtype=np.int64)).shape[-1]
    pad = config_int(model.config, "pad_token_id") or 0
    types = config_int(model.config, "type_vocab_size") or 2
    low = min(5, vocab - 1)  # skip the first ids, usually special tokens
    for batch, length in SHAPES:
        length = min(length, model.max_length or length)
        lengths = rng.integers(max(1, length // 2), length + 1, size=batch)
        lengths[0] = length
        real = np.arange(length)[None, :] < lengths[:, None]  # [B, L]
        ids = np.where(real, rng.integers(low, vocab, size=(batch, length)), pad)
        split = rng.integers(0, lengths + 1)[:, None]
        token_types = ((np.arange(length)[None, :] >= split) & real & (types > 1)).astype(np.int64)
        chosen = real & (rng.random((batch, length)) < 0.3)
        chosen[np.arange(batch), 0] = True
        chosen[np.arange(batch), lengths - 1] = True
        yield ids, real.astype(np.int64), token_types, np.argwhere(chosen), (batch, length)


def compare(reference: OnnxMaskedLM, new: OnnxMaskedLM, *, seed: int = 0) -> CheckResult:
    """Run both models on the same seeded batches and measure the difference at the masked positions."""
    diff, agree, rows, nll_ref, nll_new, shapes = 0.0, 0, 0, 0.0, 0.0, []
    pad = config_int(reference.config, "pad_token_id") or 0
    for ids, mask, types, positions, shape in _batches(reference, seed):
        a = reference.masked_logits(ids, mask, types, positions, pad_token_id=pad)  # [M, V]
        b = new.masked_logits(ids, mask, types, positions, pad_token_id=pad)
        if a.shape != b.shape or not np.isfinite(b).all():
            raise ModelError(f"the optimized model returned {'non-finite ' if a.shape == b.shape else ''}logits "
                             f"of shape {b.shape} where the original gives {a.shape}; nothing was written")
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        diff = max(diff, float(np.max(np.abs(a64 - b64))) if a.size else 0.0)
        agree += int(np.count_nonzero(np.argmax(a, axis=1) == np.argmax(b, axis=1)))
        labels = ids[positions[:, 0], positions[:, 1]]
        nll_ref += float(np.sum(row_nll_and_rank(a, labels)[0]))
        nll_new += float(np.sum(row_nll_and_rank(b, labels)[0]))
        rows += len(positions)
        shapes.append(shape)
    return CheckResult(max_abs_diff=diff, top1_agreement=agree / rows, cross_entropy=nll_ref / rows,
                       cross_entropy_new=nll_new / rows, n_rows=rows, shapes=tuple(shapes))


def batch_difference(model: OnnxMaskedLM, *, seed: int = 0) -> float:
    """Largest absolute logit difference between each row of the check batches run alone (unpadded) and the
    same row inside its padded batch, at the checked positions."""
    diff = 0.0
    pad = config_int(model.config, "pad_token_id") or 0
    for ids, mask, types, positions, (batch, _) in _batches(model, seed):
        if batch < 2:
            continue
        together = model.masked_logits(ids, mask, types, positions, pad_token_id=pad)  # [M, V]
        for b in range(batch):
            n, pick = int(mask[b].sum()), positions[:, 0] == b
            alone = model.masked_logits(ids[b:b + 1, :n], mask[b:b + 1, :n], types[b:b + 1, :n],
                                        positions[pick] - np.array([b, 0]), pad_token_id=pad)  # [m, V]
            gap = np.abs(alone.astype(np.float64) - together[pick].astype(np.float64))
            diff = max(diff, float(gap.max()) if gap.size else 0.0)
    return diff
