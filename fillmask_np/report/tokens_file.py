"""Per-token records on disk: ``.npz`` (one [T] array per field) or ``.jsonl`` (one JSON object per token),
written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import InputFileError
from ..text import AtomicFile, check_output

__all__ = ["check_tokens_path", "write_tokens"]


def check_tokens_path(path: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """``path`` for ``write_tokens``, or ``InputFileError`` unless it ends in ``.npz`` or ``.jsonl`` and may be
    written (``text.check_output``: not one of ``inputs``, its directory writable)."""
    path = check_output(path, inputs=inputs, what="tokens file")
    if path.suffix.lower() not in (".npz", ".jsonl"):
        raise InputFileError(f"tokens file {str(path)!r} must end in .npz (one array per field) or .jsonl "
                             f"(one JSON record per line)")
    return path


def write_tokens(path: str | Path, columns: dict[str, np.ndarray]) -> None:
    """Write per-token records: ``.npz`` (one [T] array per field) or ``.jsonl`` (one object per token)."""
    path = check_tokens_path(path)
    with AtomicFile(path, what="tokens file") as handle:
        if path.suffix.lower() == ".npz":
            np.savez_compressed(handle, **{k: np.asarray(v) for k, v in columns.items()})
            return
        lists = {k: np.asarray(v).tolist() for k, v in columns.items()}
        for j in range(len(lists["loss"])):
            handle.write((json.dumps({k: v[j] for k, v in lists.items()}) + "\n").encode("utf-8"))
