"""The ``fillmask-np`` command line: one module per command (``cmd_<command>.py``), dispatched here.

Bad input prints one ``fillmask-np: error: ...`` line on stderr and exits 2 (no traceback, no usage block); the
messages name the flags typed (``--top-p 1.5``), not the API's keywords (``limits.naming_flags``). A command is one run
(``text.reading_run``): no output it writes may be a file it has read. SIGTERM stops it as Ctrl-C does
(exit 143): the stack unwinds, so no temporary file is left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Iterator, NoReturn, Sequence

from ..errors import FillMaskError, FillMaskWarning

__all__ = ["main"]

_PROG = "fillmask-np"
# command -> module with add(sub) and run(args) -> int; a command's heavy imports happen inside run()
_COMMANDS = {
    "eval": "cmd_eval",
    "predict": "cmd_predict",
    "optimize": "cmd_optimize",
    "compare": "cmd_compare",
    "pppl": "cmd_pppl",
    "generate": "cmd_generate",
    "pairs": "cmd_pairs",
    "merge": "cmd_merge",
    "variants": "cmd_variants",
}


def _module(command: str) -> ModuleType:
    return importlib.import_module(f".{_COMMANDS[command]}", __package__)


class _Parser(argparse.ArgumentParser):
    """argparse's refusals as one ``FillMaskError`` line (no usage block); a value of the wrong type names its flag
    and the rule (``--limit '2.5' must be an integer from 1 to ...``). Sub-commands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        from ..limits import COUNT_BOUNDS

        typed = re.fullmatch(r"argument (?:\S+/)?(--?[\w-]+): invalid (int|float) value: (.*)", message)
        if typed:
            flag, kind, value = typed.groups()
            bounds = COUNT_BOUNDS.get(flag.lstrip("-").replace("-", "_"))
            rule = "a number" if kind == "float" else f"an integer from {bounds[0]} to {bounds[1]}" if bounds else \
                "an integer"
            raise FillMaskError(f"{flag} {value} must be {rule}")
        raise FillMaskError(f"{message.removeprefix('argument ')} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=_PROG, description="Evaluate ONNX fill-mask models without torch.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(_COMMANDS) + "}")
    for command in _COMMANDS:
        _module(command).add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input; ``compare`` 1 on a regression).

    >>> main(["eval", "--json"])  # doctest: +SKIP
    """
    from ..text import reading_run
    from .argv_checks import attach_dashed_shard, check_counts
    from .options import refuse_empty_paths
    from ..limits import naming_flags

    try:
        args = _parser().parse_args(attach_dashed_shard(sys.argv[1:] if argv is None else argv))
        with warnings.catch_warnings(), reading_run(), _sigterm_unwinds(), naming_flags():
            warnings.simplefilter("always", FillMaskWarning)
            warnings.showwarning = _one_line_warning
            refuse_empty_paths(args)
            check_counts(args)
            status = _module(args.command).run(args)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        return status
    except FillMaskError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"{_PROG}: terminated", file=sys.stderr)
        return 143  # 128 + SIGTERM
    except BrokenPipeError:  # `fillmask-np eval --json | head`: stop quietly, as other Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit; that flush must not fail again
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the closed pipe


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that ``finally`` blocks and ``AtomicFile`` clean up."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into ``_Terminated`` for the block (main thread only; the previous handler comes back)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _one_line_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"{_PROG}: warning: {message}", file=sys.stderr)
