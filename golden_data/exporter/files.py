"""Deterministic file helpers: sha256, text lines, sorted JSON and timestamp-free ``.npz`` archives."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .specs import ExportError


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_lines(path: Path) -> list[str]:
    """Read a UTF-8 text file as lines without their "\\n" / "\\r\\n" endings (keeps empty lines)."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def write_json(path: Path, obj: Any) -> None:
    """Write JSON deterministically (sorted keys, indent 1, trailing newline)."""
    path.write_text(json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays like ``np.savez_compressed`` but with fixed zip timestamps.

    ``np.savez_compressed`` stamps each member with the current time, so two identical exports
    would differ byte-wise.  This writes the same layout (``<key>.npy`` members, deflate,
    zip64) with a constant date, so identical data gives identical files; ``np.load`` reads it
    like any ``.npz`` (and with ``allow_pickle=False``).
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                member.write(buffer.getvalue())
    with np.load(path, allow_pickle=False) as loaded:
        for key, array in arrays.items():
            if (
                loaded[key].dtype != array.dtype
                or loaded[key].shape != array.shape
                or not np.array_equal(loaded[key], array)
            ):
                raise ExportError(f"{path}: {key} does not round-trip through np.load")
