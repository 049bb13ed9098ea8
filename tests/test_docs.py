"""The docs site's generated page: the bad-input tables are those of tests/bad_input/, as its script writes them."""

from __future__ import annotations

import importlib.util

from helpers import REPO

PATH = REPO / "docs" / "bad_input_table.py"
SPEC = importlib.util.spec_from_file_location("docs_bad_input_table", PATH)
assert SPEC is not None and SPEC.loader is not None
bad_input_table = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bad_input_table)


def test_the_bad_input_page_lists_every_row_table_of_tests_bad_input():
    assert bad_input_table.main(["--check"]) == 0, "run: python docs/bad_input_table.py --write"


def test_the_bad_input_page_has_a_section_for_every_test_file():
    page = (REPO / "docs" / "bad-input.md").read_text(encoding="utf-8")
    files = sorted((REPO / "tests" / "bad_input").glob("test_*.py"))
    assert len(files) >= 10
    assert [f.name for f in files if f"### `tests/bad_input/{f.name}`" not in page] == []


def test_a_new_row_makes_the_page_stale(tmp_path, monkeypatch):
    copy = tmp_path / "test_bad_input_new.py"
    copy.write_text('"""New rows."""\nCLI_ROWS = [("a-new-case", ["eval"], "must be refused")]\n', encoding="utf-8")
    monkeypatch.setattr(bad_input_table, "TESTS", tmp_path)
    monkeypatch.setattr(bad_input_table, "REPO", tmp_path)
    assert "| `CLI_ROWS` | `a-new-case` | `must be refused` |" in bad_input_table.tables()
    assert bad_input_table.main(["--check"]) == 1
