"""The README: a guide of at most 200 lines whose examples run as printed, and whose manual lives in docs/."""

from __future__ import annotations

import re
import shlex

import pytest

from helpers import GOLDEN, REPO
from helpers.cli_runs import cli

BERT = GOLDEN / "models" / "bert"
README = REPO / "README.md"


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _first_block(text: str, language: str) -> str:
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_is_a_guide_of_at_most_200_lines():
    assert len(_readme().splitlines()) <= 200


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    example = _first_block(_readme(), "python")
    assert len(example.strip().splitlines()) == 6
    (tmp_path / "texts.txt").write_text("the cat sat on the mat\na dog ran to the park\n")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(example.replace('"my-export', f'"{BERT}'), namespace)
    assert namespace["report"].n_samples == 2 and namespace["loss"] > 0


def test_getting_started_shows_the_readme_install_commands_and_python_example():
    page = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert _first_block(page, "bash") == _first_block(_readme(), "bash")
    assert _first_block(page, "python") == _first_block(_readme(), "python")


def _tour() -> list[str]:
    section = _readme().split("\n## Command line\n", 1)[1]
    return [line.split("  #", 1)[0].strip() for line in _first_block(section, "bash").strip().splitlines()]


@pytest.mark.cli
@pytest.mark.parametrize("index", range(7))
def test_each_command_of_the_readme_tour_runs_as_printed_from_the_repo_root(monkeypatch, index):
    lines = _tour()
    assert len(lines) == 7
    words = shlex.split(lines[index])
    assert words[0] == "fillmask-np"
    monkeypatch.chdir(REPO)
    if "--help" in words:
        with pytest.raises(SystemExit) as done:
            cli(*words[1:])
        assert done.value.code == 0
        return
    run = cli(*words[1:])  # stderr is no terminal here: no progress bar
    assert run.status == 0 and "error" not in run.err, (lines[index], run.err)
    assert run.out.strip()


def test_every_docs_link_of_the_readme_names_a_page_of_the_site():
    targets = re.findall(r"\]\((docs/[^)#]+)", _readme())
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert len(targets) >= 15
    for target in targets:
        assert (REPO / target).is_file(), target
        assert target.removeprefix("docs/") in nav, target


def test_every_docs_page_is_in_the_site_navigation():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")]
    assert len(pages) >= 18
    assert [page for page in pages if f": {page}" not in nav] == []
