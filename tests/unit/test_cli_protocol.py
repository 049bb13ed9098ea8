"""The command line reads a model only through the ``MaskedLM`` protocol, so every backend serves every verb
(``model.path``, an ONNX-only attribute, crashed eval and pppl on a NumPy checkpoint)."""

from __future__ import annotations

import ast

from fillmask_np.runtime import MaskedLM

from helpers import REPO

MODEL_NAMES = {"model", "candidate", "reference"}  # how the cli modules name the models they load
MEMBERS = {name for name in dir(MaskedLM) if not name.startswith("_")}


def _off_protocol(source: str) -> list[str]:
    """``name.attr`` uses in ``source`` of a model name whose attribute is not a ``MaskedLM`` member."""
    return [f"{node.value.id}.{node.attr}:{node.lineno}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in MODEL_NAMES and node.attr not in MEMBERS]


def test_an_attribute_outside_the_protocol_is_found():
    assert _off_protocol("out = {'model': str(model.path), 'name': model.name}") == ["model.path:1"]


def test_the_protocol_declares_what_the_cli_needs():
    assert {"name", "files", "describe", "gathers_positions"} <= MEMBERS


def test_the_cli_uses_models_through_the_protocol_only():
    found = [f"{path.name}:{use}" for path in sorted((REPO / "fillmask_np" / "cli").glob("*.py"))
             for use in _off_protocol(path.read_text(encoding="utf-8"))]
    assert found == []
