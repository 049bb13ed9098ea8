"""The progress bar of every long command: tqdm on stderr (done / total, rate, ETA), shown only when asked.

tqdm is imported only when a bar is shown, so ``import fillmask_np`` and a silent run never load it.
"""

from __future__ import annotations

import shutil
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

__all__ = ["Progress", "progress_enabled", "progress_named"]

_NAMED: ContextVar[tuple[str, str] | None] = ContextVar("progress_named", default=None)


@contextmanager
def progress_named(label: str, unit: str) -> Iterator[None]:
    """Bars made in the block are named ``label`` and count ``unit`` s: a command that runs another's loop (pairs
    runs pppl's over its sentences) shows its own name.

    Args:
        label: the bar's name (the command).
        unit: what an item is, singular.
    """
    token = _NAMED.set((label, unit))
    try:
        yield
    finally:
        _NAMED.reset(token)


def progress_enabled(progress: bool | None) -> bool:
    """Whether to draw a bar: ``progress`` if given, else whether stderr is a terminal.

    Args:
        progress: True / False to force it on / off; None: when stderr is a terminal.
    Returns:
        the decision.
    """
    if progress is not None:
        return bool(progress)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """A tqdm bar of ``total`` items (samples, pairs, mutations, ...) with a running token rate; a no-op when off.

    Args:
        enabled: draw it (True), not (False), or when stderr is a terminal (None).
        label: the bar's name, the command (``eval``, ``pppl``, ``compare``, ...).
        total: the number of items the run will do (None: unknown, no ETA).
        unit: what an item is, singular (``sample``).
    """

    def __init__(self, *, enabled: bool | None, label: str, total: int | None = None, unit: str = "sample") -> None:
        self.enabled = progress_enabled(enabled)
        label, unit = _NAMED.get() or (label, unit)
        self.label = label
        self.samples = self.tokens = 0
        self.start = time.perf_counter()
        self.bar: Any = None
        if self.enabled:
            from tqdm import tqdm

            size = shutil.get_terminal_size()  # $COLUMNS/$LINES, else the terminal's, else 80x24 (a new pty says 0x0)
            self.bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, mininterval=0.2, ncols=size.columns,
                            nrows=size.lines)

    def update(self, samples: int, tokens: int = 0) -> None:
        """Count ``samples`` more items done and ``tokens`` more tokens scored."""
        self.samples += samples
        self.tokens += tokens
        if self.bar is None:
            return
        if tokens:
            rate = self.tokens / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{self.tokens} tokens, {rate:,.0f} tokens/s", refresh=False)
        if samples:
            self.bar.update(samples)

    def close(self) -> None:
        """Draw the final state (its total set to the items done, when the count was an upper bound) and end the line."""
        if self.bar is None:
            return
        if self.bar.total is not None and self.bar.n != self.bar.total:
            self.bar.total = self.bar.n
        self.bar.close()
        self.bar = None
