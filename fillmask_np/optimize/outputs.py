"""Where ``optimize`` writes, checked before any work, and how: each file renamed into place whole.

The output is an ``.onnx`` path or a directory (``DIR/model.onnx``; created when missing). It is refused
before any work when it is the input model (or a link to it, by inode), a non-directory where a
directory is meant (``/dev/null``, a text file), in a directory that cannot be written, or in a folder that
holds another model: a config.json, tokenizer or checkpoint file that is not byte for byte the source's would
be overwritten or left beside the wrong weights. A folder whose such files are the source's (an earlier output
of the same model, or a new folder) is written over. The model is
built in a temporary directory; each produced file (the model, its ``.data`` file when large, config.json
and the tokenizer files) is then copied to a temporary file beside its target and renamed over it, so a
crash never leaves a partial model and no temporary directory is left behind.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from typing import Iterable

from ..errors import InputFileError
from ..text import MODEL_FILE_NAMES, AtomicFile, check_output, same_file

__all__ = ["output_model_path", "publish"]

_CHECKPOINT_NAMES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


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
                 inputs=[src_file, Path(f"{src_file}.data")], what="optimize output", of_model=True)
    _refuse_another_model(dst_file, src_file.parent)
    return dst_file


def _refuse_another_model(dst_file: Path, src_dir: Path) -> None:
    """Refuse an output folder holding a model file (config.json, tokenizer, checkpoint) that differs from the
    source's, or a checkpoint folder: writing there would overwrite that model's files, mix them with these, or
    change what the folder loads as."""
    folder = dst_file.parent
    if not folder.is_dir() or same_file(folder, src_dir):
        return
    checkpoint = [n for n in _CHECKPOINT_NAMES if (folder / n).exists()]
    exports = sorted(p.name for p in folder.glob("*.onnx"))
    if checkpoint and exports and not dst_file.exists():
        raise InputFileError(f"optimize output folder {str(folder)!r} holds another model's files "
                             f"({', '.join(exports + checkpoint)}); writing {dst_file.name} there would mix that "
                             f"model's files with these: pass a new or empty folder with -o")
    if checkpoint and not dst_file.exists():
        raise InputFileError(f"optimize output folder {str(folder)!r} is a checkpoint folder ({checkpoint[0]}) "
                             f"without {dst_file.name}; writing one there would change what it loads as "
                             f"(--backend auto picks the ONNX model): pass a new or empty folder with -o")
    for path in sorted(folder.iterdir()):
        name = path.name
        if name not in MODEL_FILE_NAMES and name not in _CHECKPOINT_NAMES:
            continue
        if not (path.is_file() and (src_dir / name).is_file() and filecmp.cmp(path, src_dir / name, shallow=False)):
            raise InputFileError(f"optimize output folder {str(folder)!r} holds another model's {name} (it is not the "
                                 f"source's, {str(src_dir / name)!r}); writing there would overwrite or mix that "
                                 f"model's files: pass a new or empty folder with -o")


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

