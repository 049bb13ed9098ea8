"""sha256 of the files and texts a result came from: model, tokenizer and data files, lists of strings.

Hashes are of file bytes; a dataset given as a list of strings hashes like the text file holding those
lines (UTF-8, each followed by ``\\n``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable

__all__ = ["file_sha256", "texts_sha256", "data_sha256"]

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
