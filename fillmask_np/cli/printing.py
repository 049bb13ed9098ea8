"""How the verbs print: one JSON writer and one table writer, so that every command's output has one form.

A closed pipe (``fillmask-np eval --json | head``) is handled once, in ``app.main``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

__all__ = ["print_json", "print_rows", "file_row", "shard_rows"]


def print_json(record: Any, *, ascii_only: bool = True) -> None:
    """Print ``record`` as the verbs' JSON, indented by one space.

    Args:
        record: a JSON-ready value.
        ascii_only: escape non-ASCII characters (False keeps the texts of predict and generate readable).
    """
    print(json.dumps(record, indent=1, ensure_ascii=ascii_only))


def print_rows(rows: Iterable[tuple[str, str]], *, width: int) -> None:
    """Print a table of (label, value) rows, each label left-aligned in ``width`` columns.

    >>> print_rows([("model", "m.onnx")], width=8)
    model    m.onnx
    """
    for label, value in rows:
        print(f"{label:<{width}} {value}")


def file_row(label: str, saved: dict[str, str] | None) -> list[tuple[str, str]]:
    """The row naming a file the run wrote (``{"path", "sha256"}``) with the start of its sha256; none if None.

    >>> file_row("partial", {"path": "p.json", "sha256": "0123456789abcdef0123"})
    [('partial', 'p.json (sha256 0123456789abcdef...)')]
    """
    return [(label, f"{saved['path']} (sha256 {saved['sha256'][:16]}...)")] if saved else []


def shard_rows(report: Any) -> list[tuple[str, str]]:
    """The row saying which shard(s) a report covers, if not the whole corpus."""
    s = report.settings
    if s.get("shard"):
        i, n = s["shard"].split("/")
        return [("shard", f"{i} of {n} (samples k with k % {n} == {i}); merge the {n} partials for the corpus")]
    if s.get("shards_covered") is not None:
        return [("shards", f"{len(s['shards_covered'])} of {s['shards_total']} merged "
                           f"({', '.join(map(str, s['shards_covered']))}): NOT the whole corpus")]
    return []
