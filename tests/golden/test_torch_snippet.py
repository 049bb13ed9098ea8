"""The docs' torch snippet (docs/fidelity.md) is golden_data/score_masks_torch.py verbatim, and needs only numpy, torch and
transformers (its golden run is checked in test_torch_replay.py)."""

from __future__ import annotations

import ast

from helpers import REPO

SNIPPET = REPO / "golden_data" / "score_masks_torch.py"


def test_the_fidelity_page_shows_the_torch_snippet_file_verbatim():
    readme = (REPO / "docs" / "fidelity.md").read_text(encoding="utf-8")
    start, end = "<!-- torch-snippet:start -->\n```python\n", "```\n<!-- torch-snippet:end -->"
    assert readme.count(start) == 1 and readme.count(end) == 1
    block = readme.split(start)[1].split(end)[0]
    assert block == SNIPPET.read_text(encoding="utf-8")


def test_torch_snippet_needs_only_numpy_torch_and_transformers():
    tree = ast.parse(SNIPPET.read_text(encoding="utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules - {"hashlib", "sys", "pathlib"} == {"numpy", "torch", "transformers"}
