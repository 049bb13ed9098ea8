"""The files a run has read, so that no output of the run overwrites one of them.

Every user file is opened after ``check_input_file``, which notes it here while a run is open (``with
reading_run():``; the command line opens one around each command). ``check_output`` refuses an output that is
any noted file (``os.path.samefile``: a symlink or a hard link of it too): config.json, tokenizer_config.json,
merges.txt, a safetensors shard, the reference model's files, the masks, the data, whatever was read. Outside a
run nothing is noted (a Python session that reads a partial, then writes it again, is not refused) and the
verbs check their outputs against the inputs they are given.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

__all__ = ["reading_run", "note_read", "files_read"]

_RUN: ContextVar[list[str] | None] = ContextVar("fillmask_np_files_read", default=None)


@contextmanager
def reading_run() -> Iterator[list[str]]:
    """Note the files read until the block ends (a block inside an open run shares that run's list).

    Returns:
        the list of paths noted so far (it grows as the run reads).

    >>> with reading_run():
    ...     note_read("data.txt")
    ...     files_read()
    ('data.txt',)
    >>> files_read()
    ()
    """
    current = _RUN.get()
    if current is not None:
        yield current
        return
    token = _RUN.set([])
    try:
        yield _RUN.get() or []
    finally:
        _RUN.reset(token)


def note_read(path: str | Path) -> None:
    """Note ``path`` as read by the open run (nothing outside a run)."""
    run = _RUN.get()
    if run is not None and str(path) not in run:
        run.append(str(path))


def files_read() -> tuple[str, ...]:
    """The paths the open run has read, in order (empty outside a run)."""
    return tuple(_RUN.get() or ())
