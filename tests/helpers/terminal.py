"""Running ``fillmask-np`` as a separate process whose stdout and stderr are a pseudo-terminal (``pty``), or pipes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from typing import Any

__all__ = ["in_terminal", "in_pipes"]


def _command(argv: tuple[Any, ...]) -> list[str]:
    """``python -m fillmask_np ARGV`` with this interpreter (the console script's entry point, PATH or not)."""
    return [sys.executable, "-m", "fillmask_np", *(str(a) for a in argv)]


def in_terminal(*argv: Any) -> tuple[int, str]:
    """``fillmask-np ARGV`` with a pseudo-terminal as its stdout and stderr: (exit status, everything it printed)."""
    command = _command(argv)
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", errors="replace")


def in_pipes(*argv: Any) -> subprocess.CompletedProcess[str]:
    """``fillmask-np ARGV`` with pipes as its stdout and stderr (not a terminal)."""
    return subprocess.run(_command(argv), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
