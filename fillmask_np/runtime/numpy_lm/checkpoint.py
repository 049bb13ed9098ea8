"""The weights of a Hugging Face checkpoint directory, by the names transformers writes.

A directory holds ``model.safetensors`` or a sharded ``model.safetensors.index.json`` (its
``weight_map`` names each tensor's shard). A ``pytorch_model.bin`` alone is refused: unpickling runs
code, so this backend never reads it; the message says how to convert it. Names are looked up as
transformers loads them: a base-model tensor with or without its prefix (``bert.encoder...`` or
``encoder...``), legacy ``LayerNorm.gamma`` / ``LayerNorm.beta`` for ``LayerNorm.weight`` / ``.bias``.
Weights come back as float32: stored float32 as views of the mapped file (no copy), float16 / bfloat16 /
float64 converted once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputFileError, ModelError
from ...text import check_input_file, file_sha256
from .safetensors import SafetensorsFile

__all__ = ["Checkpoint", "checkpoint_files", "SINGLE", "INDEX"]

SINGLE, INDEX = "model.safetensors", "model.safetensors.index.json"
_FLOAT_NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}
_CONVERT = ('python -c "from transformers import AutoModelForMaskedLM as M; '
            "M.from_pretrained('{d}').save_pretrained('{d}', safe_serialization=True)\"")


def checkpoint_files(directory: Path) -> tuple[list[Path], dict[str, str] | None]:
    """The safetensors files of a checkpoint directory and, when sharded, its weight map (tensor -> file name)."""
    if not directory.is_dir():
        raise InputFileError(f"model directory {str(directory)!r} does not exist or is not a directory; pass the "
                             f"folder holding config.json and model.safetensors")
    if (directory / INDEX).exists():
        check_input_file(directory / INDEX, what="safetensors index", fix="re-save the checkpoint")
        try:
            weight_map = json.loads((directory / INDEX).read_text(encoding="utf-8"))["weight_map"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{str(directory / INDEX)!r} is not a safetensors index with a weight_map "
                                 f"({type(exc).__name__}: {exc}); re-save the checkpoint") from exc
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise InputFileError(f"{str(directory / INDEX)!r}: weight_map is not an object of file names")
        shards = sorted(set(weight_map.values()))
        for shard in shards:
            if Path(shard).name != shard or not (directory / shard).exists():
                raise InputFileError(f"{str(directory / INDEX)!r} names shard {shard!r}, which is not a file in "
                                     f"{str(directory)!r}; copy every shard beside the index")
        return [check_input_file(directory / s, what="safetensors shard", fix="re-save the checkpoint")
                for s in shards], weight_map
    if (directory / SINGLE).exists():
        return [check_input_file(directory / SINGLE, what="weights file", fix="re-save the checkpoint")], None
    if any(directory.glob("pytorch_model*.bin")):
        raise InputFileError(f"model directory {str(directory)!r} has pytorch_model.bin but no model.safetensors; "
                             f"the NumPy backend never unpickles: convert it with {_CONVERT.format(d=directory)}")
    raise InputFileError(f"model directory {str(directory)!r} holds no {SINGLE} (nor {INDEX}); save the model with "
                         f"save_pretrained(DIR, safe_serialization=True)")


class Checkpoint:
    """The tensors of a checkpoint directory by name, as float32 (or float64).

    Args:
        directory: the checkpoint directory.
        prefix: the base model's prefix (``bert``, ``roberta``, ...), optional in base-model names.
        dtype: float32 (default) or float64, the dtype every tensor is returned in.
    """

    def __init__(self, directory: Path, prefix: str, *, dtype: np.dtype[Any] | None = None) -> None:
        self.directory, self.prefix = directory, prefix
        self.dtype: np.dtype[Any] = np.dtype(np.float32) if dtype is None else np.dtype(dtype)
        paths, weight_map = checkpoint_files(directory)
        self.files = [SafetensorsFile(p) for p in paths]
        by_name = {f.path.name: f for f in self.files}
        if weight_map is None:
            self.where = {name: f for f in self.files for name in f.names}
        else:
            self.where = {name: by_name[shard] for name, shard in weight_map.items()}
            for name, file in self.where.items():
                if name not in file.entries:
                    raise InputFileError(f"{str(directory / INDEX)!r} puts tensor {name!r} in {file.path.name!r}, "
                                         f"which does not hold it; re-save the checkpoint")
        self._cache: dict[str, np.ndarray] = {}
        self._digests: dict[str, str] | None = None

    def find(self, name: str, *, base: bool = False) -> str | None:
        """The stored name of ``name`` (``base``: a base-model tensor, prefix optional), or None."""
        for candidate in ([f"{self.prefix}.{name}", name] if base else [name]):
            for stored in (candidate, _legacy(candidate)):
                if stored in self.where:
                    return stored
        return None

    def get(self, name: str, *, base: bool = False, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Tensor ``name`` as the checkpoint's dtype (a view of the file when stored so), its shape checked.

        Raises ``ModelError`` naming the tensor when the checkpoint lacks it or its shape is not ``shape``.
        """
        stored = self.find(name, base=base)
        if stored is None:
            full = f"{self.prefix}.{name}" if base else name
            raise ModelError(f"checkpoint {str(self.directory)!r} has no tensor {full!r}: it is not a "
                             f"{self.prefix} masked-LM checkpoint (or lacks its LM head); save one with "
                             f"AutoModelForMaskedLM.save_pretrained")
        if stored not in self._cache:
            file = self.where[stored]
            dtype = file.dtype(stored)
            if dtype not in _FLOAT_NAMES:
                raise ModelError(f"tensor {stored!r} of {str(file.path)!r} has dtype {dtype}; weights must be "
                                 f"F32, F16, BF16 or F64")
            array = file.tensor(stored)
            self._cache[stored] = array if array.dtype == self.dtype else array.astype(self.dtype)
        array = self._cache[stored]
        if shape is not None and array.shape != tuple(shape):
            raise ModelError(f"tensor {stored!r} has shape {list(array.shape)} but config.json implies "
                             f"{list(shape)}; the config.json in {str(self.directory)!r} does not belong to these "
                             f"weights")
        return array

    def optional(self, name: str, *, base: bool = False, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
        """``get(name)``, or None when the checkpoint lacks it."""
        return self.get(name, base=base, shape=shape) if self.find(name, base=base) is not None else None

    def dtype_summary(self) -> str:
        """The stored float dtypes, e.g. ``float32`` or ``bfloat16 (widened to float32)``."""
        kinds = sorted({f.dtype(n) for f in self.files for n in f.names if f.dtype(n) in _FLOAT_NAMES})
        mine = self.dtype.name
        parts = [_FLOAT_NAMES[k] if _FLOAT_NAMES[k] == mine else f"{_FLOAT_NAMES[k]} "
                 f"({'narrowed' if k == 'F64' else 'widened'} to {mine})" for k in kinds]
        return ", ".join(parts) or "none"

    def sha256(self) -> str | dict[str, str]:
        """The sha256 of the safetensors file, or {shard name: sha256} for a sharded checkpoint."""
        if self._digests is None:  # hashed once: the files are read-only inputs
            self._digests = {f.path.name: file_sha256(f.path) for f in self.files}
        return next(iter(self._digests.values())) if len(self._digests) == 1 else dict(self._digests)


def _legacy(name: str) -> str:
    """``...LayerNorm.gamma`` for ``...LayerNorm.weight`` and ``...LayerNorm.beta`` for ``.bias`` (older BERTs)."""
    if name.endswith("LayerNorm.weight"):
        return name[: -len("weight")] + "gamma"
    if name.endswith("LayerNorm.bias"):
        return name[: -len("bias")] + "beta"
    return name
