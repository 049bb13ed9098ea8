"""Input files checked before they are opened: one line saying exactly what is wrong with a path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputFileError
from .run_reads import note_read

__all__ = ["check_input_file"]


def check_input_file(path: str | Path, *, what: str, fix: str) -> Path:
    """``Path(path)`` if it is a readable regular file, else an ``InputFileError`` that says why not.

    Every open of a user path goes through here first: a FIFO or a device is refused (reading one would hang or
    never end), and the file is noted as read by the open run (``run_reads``), so that no output overwrites it.

    Args:
        path: the file.
        what: how the message names it ("data file", "model file", ...).
        fix: what to do instead, appended to the message.
    Returns:
        the path.

    >>> check_input_file("/", what="data file", fix="pass a text file")
    Traceback (most recent call last):
    ...
    fillmask_np.errors.InputFileError: data file '/' is a directory; pass a text file
    """
    if not isinstance(path, (str, Path)):
        raise InputFileError(f"{what} {path!r} is a {type(path).__name__}, not a path; {fix}")
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputFileError(f"{what} {str(path)!r} does not exist; {fix}") from None
    except OSError as exc:
        raise InputFileError(f"{what} {str(path)!r} cannot be read ({exc.strerror or exc}); {fix}") from exc
    if stat.S_ISDIR(mode):
        raise InputFileError(f"{what} {str(path)!r} is a directory; {fix}")
    if not stat.S_ISREG(mode):
        raise InputFileError(f"{what} {str(path)!r} is not a regular file (a device, FIFO or socket); {fix}")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{what} {str(path)!r}: permission denied; {fix}")
    note_read(path)
    return path
