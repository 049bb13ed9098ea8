"""b. Instead of training: the committed weights (``--weights-from DIR``), what CI re-derives everything from.

Training in float64 reproduces the float32 weights only on the same kind of CPU (another vendor's kernels
round differently: some weights 1 ulp apart, and the ESM-2 and ModernBERT runs drift further).  The
committed ``models/<model>/model.safetensors`` are therefore the source the reproducibility check starts
from: each is read back with transformers' own loader (which undoes the renames and the tied-weight
deduplication of ``save_pretrained``) into the full float32 state dict that ``training.train_worker`` hands
on, and the training record comes from the same folder's ``manifest.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers

from .families import ALL_SPEC_BY_NAME
from .files import sha256_file
from .models import float32_state_dict
from .specs import ExportError


def read_source_manifest(source: Path) -> dict[str, Any]:
    """``source/manifest.json``, or an ExportError naming what is missing."""
    path = source / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportError(f"--weights-from {str(source)!r}: cannot read {path.name}: {error}") from error
    return manifest


def committed_model(source: Path, manifest: dict[str, Any], name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One model's float32 weights and training record, checked against the source manifest's sha256."""
    relative = f"models/{name}/model.safetensors"
    path = source / relative
    expected = manifest.get("files", {}).get(relative)
    record = manifest.get("models", {}).get(name, {}).get("train")
    if expected is None or record is None:
        raise ExportError(f"--weights-from {str(source)!r}: its manifest.json lists no {relative} or no models.{name}.train")
    if not path.is_file() or sha256_file(path) != expected:
        raise ExportError(f"--weights-from {str(source)!r}: {relative} is missing or differs from its manifest sha256")
    architecture = getattr(transformers, ALL_SPEC_BY_NAME[name].architecture)
    model, info = architecture.from_pretrained(str(path.parent), dtype=torch.float32, output_loading_info=True)
    problems = {kind: keys for kind, keys in info.items() if keys}
    if problems:
        raise ExportError(f"--weights-from {str(source)!r}: {relative} does not load cleanly: {problems}")
    return float32_state_dict(model), {"record": record}


def committed_weights(
    source: Path, names: Sequence[str]
) -> dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """The committed weights and training records of ``names`` in ``source`` (a golden_data folder).

    Returns the same ``{name: (weights, {"record": ...})}`` as ``training.train_all`` (without the
    training seconds), so every later step runs unchanged.
    """
    manifest = read_source_manifest(source)
    return {name: committed_model(source, manifest, name) for name in names}
