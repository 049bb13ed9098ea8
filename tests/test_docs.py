"""The docs site: the bad-input page's MkDocs hook fills it with the row tables of tests/bad_input/, and the API
reference sees every public name."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import fillmask_np as fm
from helpers import REPO

PATH = REPO / "docs" / "bad_input_table.py"
SPEC = importlib.util.spec_from_file_location("docs_bad_input_table", PATH)
assert SPEC is not None and SPEC.loader is not None
bad_input_table = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bad_input_table)
PAGE = REPO / "docs" / "bad-input.md"


def test_the_site_runs_the_bad_input_hook() -> None:
    assert "hooks:\n  - docs/bad_input_table.py\n" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")


def test_the_built_bad_input_page_has_a_section_for_every_test_file() -> None:
    page = bad_input_table.on_page_markdown(PAGE.read_text(encoding="utf-8"), page=None)
    files = sorted((REPO / "tests" / "bad_input").glob("test_*.py"))
    assert len(files) >= 10
    assert [f.name for f in files if f"### `tests/bad_input/{f.name}`" not in page] == []


def test_each_row_is_a_line_with_its_case_and_what_it_expects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "test_bad_input_new.py").write_text(
        '"""New rows."""\nCLI_ROWS = [("a-new-case", ["eval"], "must be refused")]\nOTHER = [("not-a-row", "x")]\n',
        encoding="utf-8")
    monkeypatch.setattr(bad_input_table, "TESTS", tmp_path)
    monkeypatch.setattr(bad_input_table, "REPO", tmp_path)
    page = bad_input_table.fill(PAGE.read_text(encoding="utf-8"))
    assert "New rows." in page and "| `CLI_ROWS` | `a-new-case` | `must be refused` |" in page
    assert "not-a-row" not in page


def test_a_page_without_the_markers_is_left_as_it_is() -> None:
    assert bad_input_table.on_page_markdown("# Backends\n", page=None) == "# Backends\n"


def test_the_api_reference_sees_every_public_name() -> None:
    """mkdocstrings reads the package statically: each lazy top-level name needs its TYPE_CHECKING import."""
    tree = ast.parse((REPO / "fillmask_np" / "__init__.py").read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert len(fm.__all__) >= 40
    assert sorted(set(fm.__all__) - imported - {"__version__"}) == []
