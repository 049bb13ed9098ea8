"""Provenance of a result: sha256 of model, tokenizer and data, runtime versions, the graph's opsets.

Every JSON report carries ``provenance(model, tokenizer, data)`` so that a number can be traced to
the exact files and software that produced it. Hashes are of file bytes; a dataset given as a list of
strings hashes like the text file holding those lines (UTF-8, each followed by ``\\n``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Iterable

__all__ = ["file_sha256", "texts_sha256", "data_sha256", "onnx_opsets", "provenance"]

_HASHES: dict[tuple[str, int, int], str] = {}  # (resolved path, size, mtime_ns) -> sha256


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (cached per path, size and modification time).

    >>> len(file_sha256(__file__))
    64
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def texts_sha256(texts: Iterable[str]) -> str:
    """Hex sha256 of texts as the file holding them one per line (UTF-8, ``\\n`` after each).

    >>> texts_sha256(["a"]) == hashlib.sha256(b"a\\n").hexdigest()
    True
    """
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\n")
    return digest.hexdigest()


def data_sha256(data: Any) -> str | None:
    """sha256 of a data source: a file's bytes, or a list of strings as ``texts_sha256``; None otherwise."""
    if isinstance(data, (str, Path)):
        return file_sha256(data) if Path(data).is_file() else None
    if isinstance(data, (list, tuple)) and all(isinstance(t, str) for t in data):
        return texts_sha256(data)
    return None  # a one-shot iterator cannot be hashed without consuming it


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> Iterable[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message's top-level fields."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def onnx_opsets(path: str | Path) -> dict[str, int]:
    """The opset of each operator domain an ONNX file imports (``""`` is the default ai.onnx domain).

    Reads ModelProto.opset_import (field 8) without the ``onnx`` package; {} when the file cannot be parsed.
    """
    try:
        buf = Path(path).read_bytes()
        opsets = {}
        for number, wire, value in _fields(buf):
            if number == 8 and wire == 2:  # OperatorSetIdProto {1: domain, 2: version}
                entry = {n: v for n, _, v in _fields(value)}
                opsets[bytes(entry.get(1, b"")).decode("utf-8")] = int(entry.get(2, 0))
        return opsets
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return {}


def provenance(model: Any = None, tokenizer: Any = None, data: Any = None, **extra: Any) -> dict[str, Any]:
    """A JSON-ready record of what produced a result.

    Args:
        model: an ``OnnxMaskedLM`` (path, sha256, opsets, providers, threads), or None.
        tokenizer: a ``Tokenizer`` (source file and its sha256), or None.
        data: the data source given to the evaluation (path or list of strings), or None.
        **extra: further fields (seed, masking policy, variant, counts, ...), copied as given.
    Returns:
        a dict with ``fillmask_np``, ``onnxruntime``, ``numpy`` versions and the fields above.
    """
    import numpy as np

    from . import __version__

    out: dict[str, Any] = {"fillmask_np": __version__, "numpy": np.__version__}
    if model is not None:
        import onnxruntime as ort

        path = getattr(model, "path", None)
        session = getattr(model, "session", None)
        out["onnxruntime"] = ort.__version__
        out["model"] = {
            "path": str(path) if path else None,
            "sha256": file_sha256(path) if path and Path(path).is_file() else None,
            "opsets": onnx_opsets(path) if path else {},
            "providers": session.get_providers() if session is not None else None,
            "intra_op_threads": session.get_session_options().intra_op_num_threads if session is not None else None,
            "gathers_positions": bool(getattr(model, "gathers_positions", False)),
            "cpu_count": os.cpu_count(),
        }
    if tokenizer is not None:
        source = getattr(tokenizer, "source", None)
        is_file = bool(source) and Path(source).is_file()
        out["tokenizer"] = {"source": source, "sha256": file_sha256(source) if is_file else None,
                            "vocab_size": len(tokenizer)}
    if data is not None:
        out["data"] = {"source": str(data) if isinstance(data, (str, Path)) else f"<{type(data).__name__}>",
                       "sha256": data_sha256(data)}
    out.update(extra)
    return out
