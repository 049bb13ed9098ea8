"""The README's Python example runs as printed (on the bundled golden model, in a scratch directory)."""

from __future__ import annotations

from helpers import GOLDEN, REPO

BERT = GOLDEN / "models" / "bert"


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) == 6
    (tmp_path / "texts.txt").write_text("the cat sat on the mat\na dog ran to the park\n")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(example.replace('"my-export', f'"{BERT}'), namespace)
    assert namespace["report"].n_samples == 2 and namespace["loss"] > 0
