"""Reading the files a test wrote or checks: their sha256 and their .npz arrays."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import numpy as np


def sha256(path: Path) -> str:
    """The hex sha256 of the file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def digests(root: Path) -> dict[str, str]:
    """The sha256 of every regular file under ``root`` (symlinks and FIFOs left out), by its relative path."""
    return {str(p.relative_to(root)): sha256(p)
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink() and stat.S_ISREG(p.stat().st_mode)}


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz file, read without pickle."""
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}
