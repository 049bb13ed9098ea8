"""Torch-style reference files for ``compare``, written from a model's own logits (no torch needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import fillmask_np as fm
from fillmask_np.masking import load_masks

from .files import sha256


def write_reference_npz(path: Path, model: Any, masks_path: Path, *, masks_sha256: str | None = None,
                        compressed: bool = False) -> Path:
    """A reference.npz in score_masks_torch.py's format, from ``model``'s logits on the manifest's rows."""
    masks = load_masks(masks_path)
    positions = np.argwhere(masks.labels != -100)  # [M, 2], row-major
    logits = model.masked_logits(masks.input_ids, masks.attention_mask, None, positions)  # [M, V]
    labels = masks.labels[positions[:, 0], positions[:, 1]]
    save = np.savez_compressed if compressed else np.savez
    save(path, logits=logits, labels=labels, cross_entropy=np.float64(fm.cross_entropy(logits, labels)),
         masks_sha256=masks_sha256 or sha256(masks_path), torch_version="none")
    return path
