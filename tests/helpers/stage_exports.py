"""Which names of a stage's ``__init__`` other parts of fillmask_np use: an AST scan of every ``from
fillmask_np.<stage> import X`` / ``from ..<stage> import X`` outside the stage's own folder (the top-level
``fillmask_np/__init__.py`` counts: it re-exports the public names)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fillmask_np"


def stages() -> list[str]:
    """The stage folders of fillmask_np (every sub-package)."""
    return sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def _imported_module(node: ast.ImportFrom, package: list[str]) -> list[str]:
    """The dotted parts of the module an ``ImportFrom`` in ``package`` names, relative imports resolved."""
    if not node.level:
        return (node.module or "").split(".")
    base = package[: len(package) - node.level + 1]
    return base + (node.module.split(".") if node.module else [])


def stage_users() -> dict[str, set[str]]:
    """Stage -> the names imported from the stage package itself by modules outside that stage."""
    used: dict[str, set[str]] = {stage: set() for stage in stages()}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        own_stage = parts[0] if len(parts) > 1 else None
        package = ["fillmask_np", *parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = _imported_module(node, package)
                if len(module) == 2 and module[0] == "fillmask_np" and module[1] in used and module[1] != own_stage:
                    used[module[1]].update(alias.name for alias in node.names)
    return used


def listed_names(stage: str) -> list[str]:
    """The ``__all__`` of a stage's ``__init__.py``, read without importing it."""
    tree = ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def imported_names(stage: str) -> set[str]:
    """Every name a stage's ``__init__.py`` binds by import (listed in ``__all__`` or not)."""
    tree = ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8"))
    return {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
            for alias in node.names if node.module != "__future__"}
