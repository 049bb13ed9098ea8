"""Outputs that never lose anything: refuse a path that is an input, write to a temporary file, rename into place.

``check_output`` runs before any work: an output that is (or links to, by inode) one of the run's inputs or any
file the run has read (``run_reads``), a file of a model (config.json, a tokenizer or weights file in a folder
holding a model), a directory, a non-regular file, or a path whose directory cannot be written is refused with
one line.
``AtomicFile`` writes into a temporary file in the target's directory, flushes and fsyncs it, hashes it,
and ``os.replace``s it over the target: a crash or Ctrl-C leaves the previous file whole, two runs
writing the same path leave one of them whole (the last to rename), and the sha256 a run reports is
that of the bytes it wrote.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Iterable

from ..errors import InputFileError
from .run_reads import files_read

__all__ = ["check_output", "AtomicFile", "same_file", "MODEL_FILE_NAMES", "model_file_owner"]

# what a model folder holds besides its weights: transformers' and tokenizers' file names
MODEL_FILE_NAMES = frozenset(("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                              "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json", "generation_config.json",
                              "model.safetensors.index.json", "spiece.model", "sentencepiece.bpe.model"))
_WEIGHT_SUFFIXES = (".onnx", ".onnx.data", ".safetensors", ".bin")
_MODEL_MARKERS = ("model.onnx", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "config.json",
                  "tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json")  # a model's or a tokenizer's
PAUSE_ENV = "FILLMASK_NP_PAUSE_IN_WRITE"  # tests: a file to create, then wait, before a write is committed


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when both paths exist and are the same file (``os.path.samefile``: symlinks and hard links too)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_output(path: str | Path, *, inputs: Iterable[str | Path | None] = (), what: str = "output",
                 of_model: bool = False) -> Path:
    """``path`` as a ``Path`` if a file may be written there, else a one-line ``InputFileError``.

    Args:
        path: the output file.
        inputs: the run's input files (None entries are skipped); the output may not be any of them.
        what: how the message names the output (e.g. "--save-masks").
        of_model: the output is a model's own file (``optimize -o``), which checks the folder it writes itself.
    Returns:
        ``Path(path)``.

    >>> check_output("/nonexistent-dir/out.npz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fillmask_np.errors.InputFileError: output '/nonexistent-dir/out.npz': directory '/nonexistent-dir' does not exist...
    """
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise InputFileError(f"{what} path {path!r} must be a non-empty file path")
    path = Path(path)
    for source in [*inputs, *files_read()]:
        if source is not None and same_file(path, source):
            raise InputFileError(f"{what} {str(path)!r} is an input of this run ({str(source)!r}); writing it would "
                                 f"destroy the input: pick another path")
    owner = None if of_model else model_file_owner(path)
    if owner is not None:
        raise InputFileError(f"{what} {str(path)!r} is a file of the model in {str(owner)!r}; writing it would change "
                             f"or destroy that model: pick a path outside the model's folder or another name")
    if path.exists() or path.is_symlink():
        mode = os.stat(path).st_mode if path.exists() else 0
        if stat.S_ISDIR(mode):
            raise InputFileError(f"{what} {str(path)!r} is a directory; pass a file path inside it")
        if path.exists() and not stat.S_ISREG(mode):
            raise InputFileError(f"{what} {str(path)!r} is not a regular file (a device, FIFO or socket); "
                                 f"pass a file path")
    parent = path.parent
    if not parent.is_dir():
        problem = "does not exist" if not parent.exists() else "is not a directory"
        raise InputFileError(f"{what} {str(path)!r}: directory {str(parent)!r} {problem}; create it or pick "
                             f"another path")
    try:  # a real probe: permissions, read-only filesystems and quotas all show here
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise InputFileError(f"{what} {str(path)!r}: cannot write in {str(parent)!r} ({exc.strerror or exc}); "
                             f"pick a writable directory") from exc
    return path


def model_file_owner(path: str | Path) -> Path | None:
    """The folder holding a model (model.onnx, model.safetensors, config.json, tokenizer.json ...) of which ``path``
    would be a file (config.json, a tokenizer file, weights), or None.

    >>> model_file_owner("/nonexistent/report.html") is None
    True
    """
    path = Path(path)
    name = path.name.lower()
    if name not in MODEL_FILE_NAMES and not name.endswith(_WEIGHT_SUFFIXES):
        return None
    folder = path.parent
    return folder if any((folder / marker).is_file() for marker in _MODEL_MARKERS) else None


class AtomicFile:
    """A binary file written beside ``path`` and renamed over it on success (see the module docstring).

    >>> with AtomicFile("out.bin") as handle:  # doctest: +SKIP
    ...     handle.write(b"data")
    """

    def __init__(self, path: str | Path, *, what: str = "output") -> None:
        self.path = Path(path)
        self.what = what
        self.sha256: str | None = None  # of the bytes written, once committed
        self._tmp: str | None = None
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        try:
            fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise InputFileError(f"cannot write {self.what} {str(self.path)!r} ({exc.strerror or exc}); "
                                 f"check the directory") from exc
        self._handle = os.fdopen(fd, "wb")
        return self._handle

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._handle is not None and self._tmp is not None
        try:
            if kind is None:
                _pause_for_tests()
                self._handle.flush()
                os.fsync(self._handle.fileno())
            self._handle.close()
            if kind is None:
                self.sha256 = _sha256(self._tmp)
                os.chmod(self._tmp, 0o666 & ~_umask())
                os.replace(self._tmp, self.path)
                self._tmp = None
        except OSError as error:
            raise InputFileError(f"cannot write {self.what} {str(self.path)!r} ({error.strerror or error}); "
                                 f"check the directory") from error
        finally:
            if self._tmp is not None and os.path.exists(self._tmp):
                os.unlink(self._tmp)


def _pause_for_tests() -> None:
    """With ``FILLMASK_NP_PAUSE_IN_WRITE=FILE``: create FILE, then wait up to 60 s before committing (a test sends
    a signal meanwhile: the temporary file must be removed)."""
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        Path(marker).touch()
        time.sleep(60)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    """The process's umask, read without setting it where Linux shows it (``/proc/self/status``, 4.7+): setting
    and restoring it would give a file another thread creates meanwhile the wrong mode."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # elsewhere: set and restore, one thread of ours at a time
        mask = os.umask(0)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()
