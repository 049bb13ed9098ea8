"""The ``golden`` marker is on exactly the tests that read torch's numbers from golden_data: a golden case
(``load_case``: torch's logits and losses), a manifest section of torch figures (cases, pll, fill_mask, generate,
replay, variants, splade_wikitext*, float64, protein_variants), a model's torch or Hugging Face figures (``eval_txt_reference``,
``demo_predictions``, ``len_tokenizer``) or bench/support_table.py (which reads the cases' logits).
A test that only uses the golden models, tokenizers or text as fixtures is not marked, so ``-m golden`` selects
the checks against PyTorch and ``-m "not golden"`` everything else.

Found from the source: a test reads torch numbers when its body, or a module-level function it calls, does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import REPO

TESTS = REPO / "tests"
TORCH_SECTIONS = {"cases", "pll", "pairs", "fill_mask", "generate", "replay", "variants", "splade_wikitext",
                  "splade_wikitext_200", "long_inputs", "float64", "protein_variants"}
TORCH_KEYS = {"eval_txt_reference", "demo_predictions", "len_tokenizer"}
TORCH_READERS = {"load_case", "support_table.main"}  # names whose use reads torch numbers


def _reads_manifest_section(node: ast.AST) -> bool:
    """``<manifest>["section"]`` or ``<manifest>.get("section", ...)`` for a section of torch figures."""
    if isinstance(node, ast.Subscript):
        value, key = node.value, node.slice
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        value, key = node.func.value, node.args[0]
    else:
        return False
    return (isinstance(key, ast.Constant) and key.value in TORCH_SECTIONS
            and "manifest" in ast.unparse(value).lower())


def _direct(nodes: list[ast.AST], torch_globals: set[str]) -> bool:
    """True when these nodes read torch numbers themselves (not through a called function)."""
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, ast.Name) and node.id in torch_globals:
            return True
        if isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in TORCH_READERS:
            return True
        if (isinstance(node, ast.Constant) and node.value in TORCH_KEYS) or _reads_manifest_section(node):
            return True
    return False


def _golden_mark(decorators: list[ast.expr]) -> bool:
    return any("mark.golden" in ast.unparse(d) for d in decorators)


def torch_readers(source: str) -> dict[str, tuple[bool, bool]]:
    """test name -> (marked golden, reads torch numbers) for the module-level tests of one test module."""
    tree = ast.parse(source)
    module_marked = any(isinstance(n, ast.Assign) and any(ast.unparse(t) == "pytestmark" for t in n.targets)
                        and "mark.golden" in ast.unparse(n.value) for n in tree.body)
    torch_globals: set[str] = set()
    for node in tree.body:  # in order: REPLAY = MANIFEST["replay"], then MODELS = sorted(REPLAY)
        if isinstance(node, ast.Assign) and _direct([node.value], torch_globals):
            torch_globals |= {ast.unparse(t) for t in node.targets}
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    reads = {name: _direct(list(f.body), torch_globals) for name, f in functions.items()}
    calls = {name: {c.func.id for c in ast.walk(f) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                    and c.func.id in functions} for name, f in functions.items()}
    for _ in functions:  # the fixpoint: a function reads torch numbers when one it calls does
        reads = {name: reads[name] or any(reads[c] for c in calls[name]) for name in functions}
    return {name: (module_marked or _golden_mark(f.decorator_list), reads[name])
            for name, f in functions.items() if name.startswith("test_")}


def test_a_test_reading_a_golden_case_or_a_torch_section_is_found():
    source = ("MANIFEST = load_manifest()\nREPLAY = MANIFEST.get('replay', {})\n"
              "def _entry(n):\n    return REPLAY[n]\n"
              "def test_a():\n    assert load_case('x')\n"
              "def test_b():\n    assert _entry('bert')\n"
              "def test_c(manifest):\n    assert manifest['models']['bert']['eval_txt_reference']\n"
              "def test_d(manifest):\n    assert manifest['files'] and load_golden('bert')\n")
    assert torch_readers(source) == {"test_a": (False, True), "test_b": (False, True), "test_c": (False, True),
                                     "test_d": (False, False)}


@pytest.mark.parametrize("path", sorted(p for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_golden_marks_exactly_the_tests_that_read_torch_numbers(path):
    found = torch_readers(path.read_text(encoding="utf-8"))
    unmarked = [name for name, (marked, reads) in found.items() if reads and not marked]
    needless = [name for name, (marked, reads) in found.items() if marked and not reads]
    assert (unmarked, needless) == ([], []), "(read torch numbers but not marked golden, marked but read none)"
