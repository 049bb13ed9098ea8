"""A mask manifest inside an evaluation: record the masked rows as they are scored, or replay them.

Replaying reads the data again (the counts and the batches need every sample's tokens) and takes each
sample's masked ids and labels from the manifest instead of drawing them, so the batches, and hence
the numbers, are those of the run that wrote the manifest. Every row is checked against the data's
own tokens: a manifest made from other data fails even when the data cannot be hashed. And every batch's
masks are drawn again with the header's settings (seed, masking, probabilities, ...) and must be the
manifest's, position for position: a header whose settings were edited, or masks edited after the fact (a
few labels leaked into the input ids), would otherwise be replayed and reported with false figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MaskingError
from ..tokenization import pad_ids
from .collator import IGNORE_INDEX
from .manifest import MaskManifest

if TYPE_CHECKING:  # pragma: no cover
    from .batches import MaskedBatch, Masker

__all__ = ["ReplayMasker", "MaskRecorder"]


class ReplayMasker:
    """A ``batches.Masker`` that reads each sample's masked ids and labels from a manifest.

    Args:
        manifest: the manifest to replay.
        draw: the masker of the header's settings (``batches.draw_masker``); each batch replayed must be what
            it draws, else ``MaskingError``. None skips that check (a manifest whose header cannot draw).
    """

    def __init__(self, manifest: MaskManifest, draw: Masker | None = None) -> None:
        self.manifest = manifest
        self.draw = draw
        self.used = 0  # manifest rows handed out

    def __call__(self, indices: list, ids: np.ndarray, special: np.ndarray, offsets: np.ndarray | None,
                 lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        masked = np.array(ids, dtype=np.int64, copy=True)  # [b, L]
        labels = np.full(masked.shape, IGNORE_INDEX, dtype=np.int64)  # [b, L]
        for r, index in enumerate(indices):
            found = self.manifest.row(int(index))
            if found is None:
                continue
            row_ids, row_labels = found  # [l]
            original = np.where(row_labels != IGNORE_INDEX, row_labels, row_ids)  # [l]
            length = len(row_ids)
            if length != int(lengths[r]) or not np.array_equal(original, ids[r, :length]):
                raise MaskingError(self._mismatch(index, "its tokens differ from the data's"))
            if np.any((row_labels != IGNORE_INDEX) & (special[r, :length] != 0)):
                raise MaskingError(self._mismatch(index, "it scores a special token of the data's "
                                                         f"special_tokens={self.manifest.header['special_tokens']!r}"))
            masked[r, :length], labels[r, :length] = row_ids, row_labels
            self.used += 1
        if self.draw is not None:
            self._check_drawn(self.draw(indices, np.array(ids, copy=True), special, offsets, lengths), indices,
                              masked, labels)
        return masked, labels

    def _check_drawn(self, drawn: tuple[np.ndarray, np.ndarray], indices: list, masked: np.ndarray,
                     labels: np.ndarray) -> None:
        """Refuse a batch whose replayed masks (``masked``, ``labels``: [b, L]) are not ``drawn`` by the header."""
        drawn_ids, drawn_labels = drawn  # [b, L] each
        differs = np.any((drawn_ids != masked) | (drawn_labels != labels), axis=1)  # [b]
        if np.any(differs):
            index = int(indices[int(np.flatnonzero(differs)[0])])
            header = self.manifest.header
            settings = ", ".join(f"{k}={header[k]!r}" for k in ("seed", "masking", "mlm_probability",
                                                              "mask_replace_prob", "random_replace_prob",
                                                              "whole_word"))
            raise MaskingError(f"masks file {self.manifest.path or '<memory>'!r}: the masks of sample {index} are "
                               f"not those its header's settings draw ({settings}): the header or the masks were "
                               f"edited; write the file again with --save-masks / save_masks=")

    def _mismatch(self, index: int, what: str) -> str:
        return (f"masks file {self.manifest.path or '<memory>'!r}: the row of sample {int(index)} does not fit the "
                f"data ({what}); the masks were made from other data or another tokenizer: pass those, or draw new "
                f"masks (drop masks=/--masks)")

    def finish(self, n_samples: int) -> None:
        """Raise unless the data had as many samples as the manifest's and every row was replayed."""
        header = self.manifest.header
        if n_samples != header["n_samples"] or self.used != header["n_rows"]:
            raise MaskingError(f"masks file {self.manifest.path or '<memory>'!r} covers {header['n_samples']} samples "
                               f"({header['n_rows']} masked), but the data gave {n_samples} ({self.used} of the rows "
                               f"matched); pass the data the masks were made from, or draw new masks")


class MaskRecorder:
    """Keeps each scored row's masked ids and labels as batches go by (unpadded), for ``save_masks``."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, np.ndarray, np.ndarray]] = []

    def add(self, batch: MaskedBatch) -> None:
        """Record the rows of ``batch`` that have a masked token."""
        lengths = batch.enc.attention_mask.sum(axis=1)  # [b]
        scored = np.any(batch.labels != IGNORE_INDEX, axis=1)  # [b]
        for r in np.flatnonzero(scored):
            k = int(lengths[r])
            self.rows.append((int(batch.indices[r]), batch.enc.input_ids[r, :k].astype(np.int64),
                              batch.labels[r, :k].astype(np.int64)))

    def manifest(self, header: dict[str, Any], pad_token_id: int) -> MaskManifest:
        """The rows in sample order, right-padded to the longest with ``pad_token_id``."""
        rows = sorted(self.rows, key=lambda item: item[0])
        index = np.array([i for i, _, _ in rows], dtype=np.int64)  # [R]
        ids, attention, _ = pad_ids([ids for _, ids, _ in rows], pad_token_id=pad_token_id)  # [R, L] each
        labels = pad_ids([labels for _, _, labels in rows], pad_token_id=IGNORE_INDEX)[0]  # [R, L]
        return MaskManifest({**header, "n_rows": len(rows)}, index, ids, attention, labels)
