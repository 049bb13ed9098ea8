"""The masked copies that pseudo-log-likelihood scores, packed into padded batches by a token budget.

For scored position p of a sample, one copy of the sample has p replaced by the mask token; with
``within_word_l2r`` also every later scored position of p's word (the tokenizer's word ids, which are
Hugging Face's ``BatchEncoding.word_ids()``). Copies of several samples share a batch: the caller sorts
samples by length, their copies are appended in order, and a batch is closed when its rows x padded
length would pass the token budget. A sample's copies may be split over batches; a batch always takes
at least one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, NamedTuple, Sequence

import numpy as np

from ..errors import MaskingError

__all__ = ["VARIANTS", "NO_WORD", "Sample", "CopyBatch", "check_variant", "mask_matrix", "pack"]

VARIANTS = ("original", "within_word_l2r")
NO_WORD = -1  # word id of template special tokens (Hugging Face's None) and of unscored positions


@dataclass(frozen=True)
class Sample:
    """One encoded sample to score: its i-th non-empty index, [L] ids and type ids, [T] scored positions."""

    index: int
    ids: np.ndarray  # [L]
    type_ids: np.ndarray  # [L]
    targets: np.ndarray  # [T] scored positions, ascending
    words: np.ndarray | None  # [L] word ids, NO_WORD at unscored positions; None for the original variant
    origin: np.ndarray | None = None  # [L] position of each token in the whole sample (a window's); None: the same


class CopyBatch(NamedTuple):
    """Masked copies, padded to the longest: int64 [R, W] arrays; row r scores ``positions[r]``."""

    input_ids: np.ndarray  # [R, W]
    attention_mask: np.ndarray  # [R, W]
    token_type_ids: np.ndarray  # [R, W]
    positions: np.ndarray  # [R, 2] (row, scored position)
    samples: np.ndarray  # [R] sample index of each row
    labels: np.ndarray  # [R] original token id at the scored position
    origins: np.ndarray  # [R] the scored position in the whole sample (differs from positions[:, 1] in a window)


def check_variant(variant: str) -> str:
    """``variant`` if it is one of ``VARIANTS``, else a ``MaskingError`` naming them."""
    if variant not in VARIANTS:
        raise MaskingError(f"variant={variant!r} is not one of {', '.join(map(repr, VARIANTS))}; "
                           f"'original' masks each token alone, 'within_word_l2r' also the rest of its word")
    return variant


def mask_matrix(targets: np.ndarray, length: int, words: np.ndarray | None) -> np.ndarray:
    """[T, L] bool: the positions each copy replaces by the mask token.

    Row t masks ``targets[t]``; with ``words`` (within_word_l2r) also every later position whose word id
    equals that of ``targets[t]`` (never for ``NO_WORD``).

    >>> mask_matrix(np.array([1, 2]), 4, np.array([-1, 0, 0, -1])).astype(int).tolist()
    [[0, 1, 1, 0], [0, 0, 1, 0]]
    """
    cols = np.arange(length)  # [L]
    masked = cols[None, :] == targets[:, None]  # [T, L]
    if words is not None:
        own = words[targets][:, None]  # [T, 1]
        masked |= (cols[None, :] > targets[:, None]) & (words[None, :] == own) & (own != NO_WORD)
    return masked


def pack(samples: Sequence[Sample], *, mask_token_id: int, pad_token_id: int,
         token_budget: int) -> Iterator[CopyBatch]:
    """The copies of ``samples`` (in order), in batches of at most ``token_budget`` rows x padded length."""
    pieces: list[tuple[Sample, int, int]] = []  # (sample, first target, stop target) of each run of copies
    rows = width = 0
    for sample in samples:
        start, length = 0, len(sample.ids)
        while start < len(sample.targets):
            wide = max(width, length)
            room = token_budget // wide - rows
            if room <= 0 and rows:
                yield _build(pieces, rows, width, mask_token_id, pad_token_id)
                pieces, rows, width = [], 0, 0
                continue
            take = min(len(sample.targets) - start, max(room, 1))
            pieces.append((sample, start, start + take))
            rows, width, start = rows + take, wide, start + take
    if pieces:
        yield _build(pieces, rows, width, mask_token_id, pad_token_id)


def _build(pieces: list[tuple[Sample, int, int]], rows: int, width: int, mask_token_id: int,
           pad_token_id: int) -> CopyBatch:
    """Write the copies of ``pieces`` into one padded [rows, width] batch."""
    ids = np.full((rows, width), pad_token_id, dtype=np.int64)
    attention = np.zeros((rows, width), dtype=np.int64)
    types = np.zeros((rows, width), dtype=np.int64)
    positions = np.empty((rows, 2), dtype=np.int64)
    sample_of = np.empty(rows, dtype=np.int64)
    labels = np.empty(rows, dtype=np.int64)
    origins = np.empty(rows, dtype=np.int64)
    r = 0
    for sample, start, stop in pieces:
        n, length = stop - start, len(sample.ids)
        targets = sample.targets[start:stop]  # [n]
        block = np.repeat(sample.ids[None, :], n, axis=0)  # [n, L]
        block[mask_matrix(targets, length, sample.words)] = mask_token_id
        ids[r : r + n, :length] = block
        attention[r : r + n, :length] = 1
        types[r : r + n, :length] = sample.type_ids
        positions[r : r + n, 0] = np.arange(r, r + n)
        positions[r : r + n, 1] = targets
        sample_of[r : r + n] = sample.index
        labels[r : r + n] = sample.ids[targets]
        origins[r : r + n] = targets if sample.origin is None else sample.origin[targets]
        r += n
    return CopyBatch(ids, attention, types, positions, sample_of, labels, origins)
