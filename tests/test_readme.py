"""The README: a guide of at most 200 lines whose examples run as printed, and whose manual lives in docs/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers import GOLDEN, REPO

BERT = GOLDEN / "models" / "bert"
README = REPO / "README.md"


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _first_block(text: str, language: str) -> str:
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_is_a_guide_of_at_most_200_lines() -> None:
    assert len(_readme().splitlines()) <= 200


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = _first_block(_readme(), "python")
    assert len(example.strip().splitlines()) == 6
    (tmp_path / "texts.txt").write_text("the cat sat on the mat\na dog ran to the park\n")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(example.replace('"my-export', f'"{BERT}'), namespace)
    assert namespace["report"].n_samples == 2 and namespace["loss"] > 0


def test_the_readme_python_tour_runs_as_printed_from_the_repo_root(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    tour = _readme().split("\n## Python\n", 1)[1]
    monkeypatch.chdir(REPO)
    exec(_first_block(tour, "python"), {})
    candidates, pppl, perplexity = capsys.readouterr().out.splitlines()
    assert len(ast.literal_eval(candidates)) == 3 and float(pppl) > 1 and float(perplexity) > 1


def test_getting_started_shows_the_readme_install_commands_and_python_example() -> None:
    page = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert _first_block(page, "bash") == _first_block(_readme(), "bash")
    assert _first_block(page, "python") == _first_block(_readme(), "python")


def test_every_docs_link_of_the_readme_names_a_page_of_the_site() -> None:
    targets = re.findall(r"\]\((docs/[^)#]+)", _readme())
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert len(targets) >= 15
    for target in targets:
        assert (REPO / target).is_file(), target
        assert target.removeprefix("docs/") in nav, target


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")]
    assert len(pages) >= 18
    assert [page for page in pages if f": {page}" not in nav] == []
