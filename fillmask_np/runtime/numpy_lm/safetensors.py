"""One ``.safetensors`` file read with NumPy alone: the header checked, the tensors memory-mapped read-only.

The format: 8 bytes little-endian header length N, N bytes of JSON (``{name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}``, offsets relative to the byte after the
header), then the data. Tensors are views of one ``np.memmap`` of the file (no copy) unless they are
unaligned for their dtype (then copied); BF16 is widened to float32 exactly (the 16 bits are the top half
of a float32). Every inconsistency is an ``InputFileError`` naming the file and the tensor.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputFileError
from ...limits import is_int

__all__ = ["SafetensorsFile", "DTYPES"]

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
_MAX_HEADER = 100 * 1024 * 1024  # the reference implementation's limit


class SafetensorsFile:
    """A checked ``.safetensors`` file: ``names``, ``dtype(name)``, ``tensor(name)`` and ``metadata``.

    Args:
        path: the file.

    >>> SafetensorsFile("model.safetensors").tensor("bert.embeddings.word_embeddings.weight")  # doctest: +SKIP
    array([[...]], dtype=float32)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.entries, self.metadata, self.data_start = _read_header(self.path)
        self._bytes: np.ndarray | None = None  # the whole file, mapped on first use

    @property
    def names(self) -> list[str]:
        """The tensors' names, in file order."""
        return list(self.entries)

    def dtype(self, name: str) -> str:
        """The safetensors dtype of tensor ``name`` (``F32``, ``BF16``, ...)."""
        return self._entry(name)["dtype"]

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of tensor ``name``."""
        return tuple(self._entry(name)["shape"])

    def tensor(self, name: str) -> np.ndarray:
        """Tensor ``name`` as a read-only array: a view of the mapped file (a copy when unaligned), BF16 as float32."""
        entry = self._entry(name)
        if self._bytes is None:
            self._bytes = np.asarray(np.memmap(self.path, dtype=np.uint8, mode="r"))  # plain ndarray view, no copy
        begin, end = (self.data_start + o for o in entry["data_offsets"])
        dtype = np.dtype(DTYPES[entry["dtype"]])
        array = self._bytes[begin:end].view(dtype)
        if not array.flags.aligned:
            array = array.copy()
            array.flags.writeable = False
        array = array.reshape(entry["shape"])
        if entry["dtype"] == "BF16":  # bf16 bits are the high half of the float32 with the same value
            array = (array.astype(np.uint32) << 16).view(np.float32)
        return array

    def _entry(self, name: str) -> dict[str, Any]:
        if name not in self.entries:
            raise InputFileError(f"{str(self.path)!r} holds no tensor {name!r}; the checkpoint is incomplete or of "
                                 f"another architecture")
        return self.entries[name]


def _bad(path: Path, what: str) -> InputFileError:
    return InputFileError(f"{str(path)!r} is not a valid safetensors file: {what}; re-save it with "
                          f"save_pretrained(..., safe_serialization=True)")


def _read_header(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str], int]:
    """(tensor entries in file order, __metadata__, offset of the data) of a checked safetensors file."""
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise _bad(path, f"{size} bytes, shorter than the 8-byte header length")
            (length,) = struct.unpack("<Q", prefix)
            if length > size - 8:
                raise _bad(path, f"its header claims {length} bytes but the file has {size - 8} after the length")
            if length > _MAX_HEADER:
                raise _bad(path, f"its header claims {length} bytes, more than the format's {_MAX_HEADER}")
            raw = handle.read(length)
    except OSError as exc:
        raise InputFileError(f"cannot read {str(path)!r} ({exc.strerror or exc}); pass a readable file") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"its header is not UTF-8 JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise _bad(path, f"its header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _bad(path, "__metadata__ is not an object of strings")
    data_size = size - 8 - length
    entries = {name: _check_entry(path, name, entry, data_size) for name, entry in header.items()}
    spans = sorted((e["data_offsets"][0], e["data_offsets"][1], n) for n, e in entries.items()
                   if e["data_offsets"][1] > e["data_offsets"][0])
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise _bad(path, f"tensors {first!r} and {second!r} overlap (bytes {begin}..{end} of the data)")
    return entries, metadata, 8 + length


def _check_entry(path: Path, name: str, entry: Any, data_size: int) -> dict[str, Any]:
    """One header entry, checked: known dtype, a shape of non-negative ints, offsets in range and matching it."""
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
        raise _bad(path, f"tensor {name!r} lacks dtype, shape or data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise _bad(path, f"tensor {name!r} has dtype {dtype!r}, not one of {sorted(DTYPES)}")
    if not isinstance(shape, list) or not all(is_int(d) and d >= 0 for d in shape):
        raise _bad(path, f"tensor {name!r} has shape {shape!r}, not a list of non-negative integers")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(is_int(o) for o in offsets)):
        raise _bad(path, f"tensor {name!r} has data_offsets {offsets!r}, not [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise _bad(path, f"tensor {name!r} has data_offsets {offsets!r} outside the {data_size} data bytes")
    expected = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
    if end - begin != expected:
        raise _bad(path, f"tensor {name!r} of dtype {dtype} and shape {shape} needs {expected} bytes but its "
                         f"data_offsets {offsets!r} span {end - begin}")
    return {"dtype": dtype, "shape": list(shape), "data_offsets": [begin, end]}
