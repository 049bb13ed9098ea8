"""Where ``optimize`` writes, checked before any work, and how: each file renamed into place whole.

The output is an ``.onnx`` path or a directory (``DIR/model.onnx``; created when missing). It is refused
before any work when it is the input model (or a link to it, by inode), a non-directory where a
directory is meant (``/dev/null``, a text file), or in a directory that cannot be written. The model is
built in a temporary directory; each produced file (the model, its ``.data`` file when large, config.json
and the tokenizer files) is then copied to a temporary file beside its target and renamed over it, so a
crash never leaves a partial model and no temporary directory is left behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

from ..errors import InputFileError
from ..text import AtomicFile, check_output, same_file

__all__ = ["output_model_path", "publish"]


def output_model_path(dst: str | Path, src_file: Path) -> Path:
    """The model file to write for ``-o dst``; refused (one line) when it cannot be written or is an input."""
    if not isinstance(dst, (str, Path)) or not str(dst):
        raise InputFileError(f"output {dst!r} must be an .onnx path or a directory")
    dst = Path(dst)
    if dst.suffix != ".onnx" and dst.exists() and not dst.is_dir():
        raise InputFileError(f"output {str(dst)!r} exists and is not a directory; pass a directory (written as "
                             f"DIR/model.onnx) or an .onnx path")
    dst_file = dst if dst.suffix == ".onnx" and not dst.is_dir() else dst / "model.onnx"
    if same_file(dst_file, src_file):  # the same path, a symlink or a hard link of the input
        raise InputFileError(f"the output {str(dst_file)!r} is the input model; pass another path with -o")
    existing = next(p for p in [dst_file.parent, *dst_file.parent.parents] if p.exists())
    if not existing.is_dir():
        raise InputFileError(f"output {str(dst)!r}: {str(existing)!r} is not a directory; pick another path")
    # the directory, or the nearest one that exists and will hold the new ones, must be writable
    check_output(dst_file if existing == dst_file.parent else existing / dst_file.name,
                 inputs=[src_file, Path(f"{src_file}.data")], what="optimize output")
    return dst_file


def publish(model_file: Path, dst_file: Path, src_dir: Path, side_files: Iterable[str]) -> list[str]:
    """Copy the built model (and its ``.data`` file) to ``dst_file`` and the side files of ``src_dir`` beside it,
    each through a temporary file renamed into place; returns the side files copied."""
    dst_file.parent.mkdir(parents=True, exist_ok=True)
    produced = sorted((p for p in model_file.parent.iterdir() if p.name.startswith(model_file.name)),
                      key=lambda p: p.name == model_file.name)  # the .data file first, the model last
    for path in produced:
        _copy(path, dst_file.parent / path.name.replace(model_file.name, dst_file.name, 1))
    copied = []
    for name in side_files:
        source, target = src_dir / name, dst_file.parent / name
        if source.is_file() and not same_file(source, target):
            _copy(source, target)
            copied.append(name)
    return copied


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as handle, AtomicFile(target, what="optimize output") as out:
        shutil.copyfileobj(handle, out, 1 << 20)

