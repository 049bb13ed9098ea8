"""Partial results on disk: a report's mergeable totals, its settings and the sha256 of what produced it.

A partial is one JSON document (``.json``) or the same document as an ``.npz`` (its columns as arrays, the
rest as a JSON ``header`` string; read with ``allow_pickle=False``). Its keys: ``format``, ``version``,
``kind`` ("eval", "pppl", "compare", "pairs" or "variants"), ``shard`` (``[i, n]``, or None for a whole corpus), ``settings``,
``sources`` (sha256 of model, tokenizer, data and, for a comparison, the reference), ``provenance``
(informational), ``totals`` (the ``state()`` of the run's totals) and ``extra`` (what a report keeps besides:
worst tokens, per-token records, a comparison's thresholds). Floats round-trip exactly in both formats.
``checksum`` is the sha256 of the canonical JSON (sorted keys, no spaces) of everything else, as it reads
back: a partial whose numbers, counts or settings were edited, or whose bytes were damaged, is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, InputFileError
from ..limits import is_int
from ..text import AtomicFile, check_input_file

__all__ = ["PARTIAL_FORMAT", "PARTIAL_SUFFIXES", "PARTIAL_VERSION", "check_partial_path", "read_partial",
           "write_partial"]

PARTIAL_FORMAT = "fillmask_np.partial"
PARTIAL_VERSION = 3  # 2: the counts carry unk_tokens and text_tokens (metrics.EVAL_COUNT_KEYS, PLL_COUNT_KEYS);
# 3: a checksum of its own content
PARTIAL_SUFFIXES = (".json", ".npz")
_COLUMNAR = ("totals", "extra")  # subtrees whose lists of numbers become arrays in an .npz
_ARRAY = "__array__"


def check_partial_path(path: str | Path) -> Path:
    """``path`` as a ``Path``; ``InputFileError`` unless it ends in ``.json`` or ``.npz``."""
    path = Path(path)
    if path.suffix.lower() not in PARTIAL_SUFFIXES:
        raise InputFileError(f"partial file {str(path)!r} must end in .json or .npz (the same content; .npz is "
                             f"smaller and faster for a big corpus)")
    return path


def write_partial(path: str | Path, document: dict[str, Any]) -> dict[str, str]:
    """Write ``document`` atomically as JSON or npz (by ``path``'s suffix); ``{"path", "sha256"}`` of the bytes written."""
    path = check_partial_path(path)
    document = {"format": PARTIAL_FORMAT, "version": PARTIAL_VERSION, **document}
    as_json = path.suffix.lower() == ".json"
    arrays: dict[str, Any] = {}
    header = document if as_json else {k: _to_arrays(v, k, arrays) if k in _COLUMNAR else v
                                       for k, v in document.items()}
    read_back = (json.loads(json.dumps(document, allow_nan=True, default=_plain)) if as_json  # as a reader sees it
                 else {k: _from_arrays(v, arrays) if k in _COLUMNAR else v for k, v in header.items()})
    header = {**header, "checksum": _checksum(read_back)}
    target = AtomicFile(path, what="partial file")
    with target as handle:
        if as_json:
            handle.write(json.dumps(header, allow_nan=True, default=_plain).encode("utf-8"))
        else:
            np.savez_compressed(handle, header=np.array(json.dumps(header, allow_nan=True, default=_plain)), **arrays)
    return {"path": str(path), "sha256": str(target.sha256)}


def read_partial(path: str | Path) -> dict[str, Any]:
    """The document of a partial file (``DataError`` naming the file when it is not one, or of another version)."""
    path = check_input_file(check_partial_path(path), what="partial file",
                            fix="pass the files that --partial wrote")
    try:
        if path.suffix.lower() == ".json":
            document = json.loads(path.read_bytes().decode("utf-8"))
        else:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            header = json.loads(str(arrays.pop("header")))
            document = {k: _from_arrays(v, arrays) if k in _COLUMNAR else v for k, v in header.items()}
    except (ValueError, KeyError, OSError, UnicodeDecodeError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{str(path)!r} is not a readable partial file ({exc}); write partials with --partial") from exc
    if not isinstance(document, dict) or document.get("format") != PARTIAL_FORMAT:
        raise DataError(f"{str(path)!r} is not a fillmask_np partial file; write partials with --partial")
    if document.get("version") != PARTIAL_VERSION:
        raise DataError(f"{str(path)!r} is a version {document.get('version')!r} partial; this fillmask_np reads "
                        f"version {PARTIAL_VERSION}: score that shard again with this version")
    if document.pop("checksum", None) != _checksum(document):
        raise DataError(f"{str(path)!r} is an edited or damaged partial file: its content does not match its "
                        f"checksum; score that shard again with --partial")
    shard = document.get("shard")
    shard_ok = shard is None or (isinstance(shard, list) and len(shard) == 2 and all(is_int(x) for x in shard)
                                 and 0 <= shard[0] < shard[1])
    if (document.get("kind") not in ("eval", "pppl", "compare", "pairs", "variants") or not shard_ok
            or not all(isinstance(document.get(k), dict) for k in ("settings", "sources", "totals", "extra"))):
        raise DataError(f"{str(path)!r} is a damaged partial file (its kind, shard, settings, sources, totals or extra "
                        f"is missing or malformed); score that shard again with --partial")
    document["path"] = str(path)
    return document


def _checksum(document: dict[str, Any]) -> str:
    """sha256 of ``document``'s canonical JSON (sorted keys, compact; arrays as lists), ``checksum`` left out."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """JSON for numpy values: arrays as (nested) lists, scalars as Python numbers."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _to_arrays(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace each list of numbers (or array) under ``value`` by a reference to an array kept in ``arrays``."""
    if isinstance(value, dict):
        return {k: _to_arrays(v, f"{key}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, np.ndarray) or (isinstance(value, list) and _numeric(value)):
        arrays[key] = np.asarray(value)
        return {_ARRAY: key, "dtype": "float" if arrays[key].dtype.kind == "f" else "int"}
    return value


def _from_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict) and _ARRAY in value:
        array = arrays[value[_ARRAY]]
        return array.astype(np.float64 if value["dtype"] == "float" else np.int64)
    if isinstance(value, dict):
        return {k: _from_arrays(v, arrays) for k, v in value.items()}
    return value


def _numeric(values: list) -> bool:
    """A non-empty list of numbers (or of equal-length lists of numbers), as numpy would store it."""
    try:
        array = np.asarray(values)
    except ValueError:
        return False
    return array.size > 0 and array.dtype.kind in "iuf"
