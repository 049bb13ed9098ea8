"""A dependency-free progress line on stderr (samples, tokens/s), shown only when asked."""

from __future__ import annotations

import sys
import time


class Progress:
    """Rewrites one stderr line at most every 0.2 s; does nothing when disabled."""

    def __init__(self, *, enabled: bool, label: str = "eval") -> None:
        self.enabled = enabled
        self.label = label
        self.samples = self.tokens = 0
        self.start = self.last = time.perf_counter()

    def update(self, samples: int, tokens: int) -> None:
        self.samples += samples
        self.tokens += tokens
        now = time.perf_counter()
        if self.enabled and now - self.last >= 0.2:
            self.last = now
            rate = self.tokens / max(now - self.start, 1e-9)
            sys.stderr.write(f"\r{self.label}: {self.samples} samples, {self.tokens} tokens, {rate:,.0f} tokens/s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.samples:
            self.last = 0.0
            self.update(0, 0)
            sys.stderr.write("\n")
            sys.stderr.flush()
