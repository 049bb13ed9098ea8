"""Per-token records on disk, written atomically: ``.npz`` (one [T] array per field), ``.jsonl`` (one JSON object
per token), ``.csv`` (a header row, then one row per token) or ``.parquet`` (pyarrow, the ``[parquet]`` extra).

Floats are written exactly: repr in CSV and JSON (read back bit for bit), float64 in npz and Parquet.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import FillMaskError, InputFileError
from ..text import AtomicFile, check_output

__all__ = ["TOKEN_SUFFIXES", "check_tokens_path", "write_tokens"]

TOKEN_SUFFIXES = (".npz", ".jsonl", ".csv", ".parquet")


def check_tokens_path(path: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """``path`` for ``write_tokens``, or ``InputFileError`` unless it ends in one of ``TOKEN_SUFFIXES`` and may be
    written (``text.check_output``: not one of ``inputs``, its directory writable); ``.parquet`` needs pyarrow,
    checked here too, before any work."""
    path = check_output(path, inputs=inputs, what="tokens file")
    suffix = path.suffix.lower()
    if suffix not in TOKEN_SUFFIXES:
        raise InputFileError(f"tokens file {str(path)!r} must end in .npz (one array per field), .jsonl (one JSON "
                             f"record per line), .csv or .parquet (one row per token)")
    if suffix == ".parquet":
        _pyarrow()
    return path


def write_tokens(path: str | Path, columns: dict[str, np.ndarray]) -> None:
    """Write per-token records, one [T] column per field, in the format of ``path``'s suffix."""
    path = check_tokens_path(path)
    suffix = path.suffix.lower()
    with AtomicFile(path, what="tokens file") as handle:
        if suffix == ".npz":
            # Any: numpy's stub would check a **dict of arrays against savez_compressed's allow_pickle: bool too
            arrays: dict[str, Any] = {k: np.asarray(v) for k, v in columns.items()}
            np.savez_compressed(handle, **arrays)
            return
        if suffix == ".parquet":
            pa, pq = _pyarrow()
            pq.write_table(pa.table({k: np.asarray(v) for k, v in columns.items()}), handle)
            return
        lists = {k: np.asarray(v).tolist() for k, v in columns.items()}
        n = len(next(iter(lists.values()), []))
        if suffix == ".jsonl":
            for j in range(n):
                handle.write((json.dumps({k: v[j] for k, v in lists.items()}) + "\n").encode("utf-8"))
            return
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(list(lists))
        writer.writerows(zip(*lists.values()))
        text.flush()
        text.detach()  # the handle stays open for AtomicFile to fsync and rename


def _pyarrow() -> tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet), or a one-line ``FillMaskError`` naming the extra to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise FillMaskError("writing Parquet needs pyarrow: pip install 'fillmask_np[parquet]' (or write .csv, "
                            ".jsonl or .npz)") from exc
    return pa, pq
