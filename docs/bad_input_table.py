"""Write the case tables of docs/bad-input.md from the row tables of tests/bad_input/ (and check them).

    python docs/bad_input_table.py --write    # replace the block between the bad-input-table markers
    python docs/bad_input_table.py --check    # exit 1 when docs/bad-input.md is stale (a test runs this)

Each test file's module-level tables (``CLI_ROWS``, ``API_ROWS``, ``ROWS``, ``REFUSED``, ...) are read with
``ast`` (nothing is imported or run): one line per row, its case id and, where the row has one, the fragment
its one-line error must contain.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests" / "bad_input"
PAGE = REPO / "docs" / "bad-input.md"
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


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the tables; returns the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the tables in docs/bad-input.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when docs/bad-input.md's tables are stale")
    args = parser.parse_args(argv)
    body, page = tables(), PAGE.read_text(encoding="utf-8")
    head, rest = page.split(START, 1)
    written, tail = rest.split(END, 1)
    if args.write:
        PAGE.write_text(f"{head}{START}\n{body}\n{END}{tail}", encoding="utf-8")
    elif args.check:
        if written.strip("\n") != body:
            print("docs/bad-input.md is out of date: run python docs/bad_input_table.py --write")
            return 1
    else:
        print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
