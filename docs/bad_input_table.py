"""The case tables of the docs' bad-input page, generated from the row tables of tests/bad_input/.

An MkDocs hook (``hooks:`` in mkdocs.yml): when the site is built, ``on_page_markdown`` fills the block between
the bad-input-table markers of docs/bad-input.md, so the page always lists the rows of the tests at hand.
``python docs/bad_input_table.py`` prints the tables. Each test file's module-level tables (``CLI_ROWS``,
``API_ROWS``, ``ROWS``, ``REFUSED``, ...) are read with ``ast`` (nothing is imported or run): one line per row,
its case id and, where the row has one, what it expects (a fragment of the message, or the error class).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests" / "bad_input"
START, END = "<!-- bad-input-table:start -->", "<!-- bad-input-table:end -->"
TABLES = ("ROWS", "REFUSED", "WARNED", "NOTED")


def _strings(node: ast.expr) -> list[str]:
    """The string constants that are direct elements of a row tuple."""
    elts = node.elts if isinstance(node, (ast.Tuple, ast.List)) else [node]
    return [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def file_table(path: Path) -> str:
    """One file's section: its docstring's first paragraph, then a table of its rows."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    summary = (ast.get_docstring(tree) or "").split("\n\n")[0].replace("\n", " ")
    lines = [f"### `{path.relative_to(REPO).as_posix()}`", "", summary, "",
             "| table | case | expected: a fragment of the message, or the error class |", "|---|---|---|"]
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not (isinstance(target, ast.Name) and target.id.endswith(TABLES) and isinstance(node.value, ast.List)):
            continue
        for row in node.value.elts:
            strings = _strings(row)
            if not strings:
                continue
            fragment = strings[-1] if len(strings) > 1 else ""
            lines.append(f"| `{target.id}` | `{_cell(strings[0])}` | {_cell(fragment) and f'`{_cell(fragment)}`'} |")
    return "\n".join(lines)


def tables() -> str:
    """Every file's section, in file-name order."""
    return "\n\n".join(file_table(path) for path in sorted(TESTS.glob("test_*.py")))


def fill(markdown: str) -> str:
    """``markdown`` with the generated tables between its markers (unchanged when it has none)."""
    if START not in markdown:
        return markdown
    head, rest = markdown.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{tables()}\n{END}{tail}"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: fill the bad-input page's tables as the site is built."""
    return fill(markdown)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables; returns the exit status."""
    argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0]).parse_args(argv)
    print(tables())
    return 0

if __name__ == "__main__":
    sys.exit(main())
