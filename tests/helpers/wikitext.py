"""WikiText-2 test lines from ../shared, chosen as the golden exporter chose them for splade-tiny's figures."""

from __future__ import annotations

from .paths import require_shared


def wikitext_lines(count: int) -> list[str]:
    """The first ``count`` non-blank lines of wiki.test.raw that are not " = " headings (skips when absent)."""
    path = require_shared("real", "wikitext-2-raw", "wiki.test.raw")
    lines = [line.rstrip("\n").rstrip("\r") for line in path.read_text(encoding="utf-8").splitlines(True)]
    return [line for line in lines if line.strip() and not line.startswith(" = ")][:count]
