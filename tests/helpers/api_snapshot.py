"""The public API as text: every name in ``fillmask_np.__all__`` and ``fillmask_np.distributed.__all__`` with its
signature (functions), its constructor, public methods and properties (classes), its fields (dataclasses) or its
type (values). ``tests/test_public_api.py`` compares it with the committed ``tests/public_api.txt``; after a
deliberate change to the API, rewrite that file with ``python tests/helpers/api_snapshot.py --write``."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
from pathlib import Path
from typing import Any

PUBLIC_MODULES = ("fillmask_np", "fillmask_np.distributed")
SNAPSHOT = Path(__file__).resolve().parents[1] / "public_api.txt"
WRITE_TO = "FILLMASK_NP_API_SNAPSHOT"  # where --write writes instead (a test runs the command on a copy)


def _own_classes(cls: type) -> list[type]:
    """The classes of ``cls``'s MRO that fillmask_np defines (what Python itself adds is not our API)."""
    return [c for c in cls.__mro__ if c.__module__.split(".")[0] == "fillmask_np"]


def _member_line(name: str, member: Any) -> str | None:
    """One line for a class member found statically, or None for a member that is not part of the API."""
    if isinstance(member, property):
        return f"    @property {name}"
    if isinstance(member, classmethod):
        return f"    @classmethod {name}{inspect.signature(member.__func__)}"
    if isinstance(member, staticmethod):
        return f"    @staticmethod {name}{inspect.signature(member.__func__)}"
    if inspect.isfunction(member):
        return f"    def {name}{inspect.signature(member)}"
    return None


def describe_class(name: str, cls: type) -> list[str]:
    """A class's lines: its bases, then its fields (dataclasses) or constructor, annotations and public members."""
    bases = ", ".join(b.__qualname__ for b in cls.__bases__ if b is not object)
    lines = [f"class {name}({bases})"]
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            default = "" if field.default is dataclasses.MISSING else f" = {field.default!r}"
            factory = "" if field.default_factory is dataclasses.MISSING else " = <factory>"
            lines.append(f"    field {field.name}: {field.type}{default}{factory}")
    elif not getattr(cls, "_is_protocol", False) and "__init__" in {n for c in _own_classes(cls) for n in vars(c)}:
        lines.append(f"    __init__{inspect.signature(cls)}")
    members: dict[str, str] = {}
    for owner in reversed(_own_classes(cls)):  # a subclass's definition wins
        for attr, annotation in vars(owner).get("__annotations__", {}).items():
            if not attr.startswith("_") and not dataclasses.is_dataclass(cls):
                members[attr] = f"    {attr}: {annotation}"
        for attr, member in vars(owner).items():
            line = None if attr.startswith("_") else _member_line(attr, member)
            if line is not None:
                members[attr] = line
    return lines + [members[attr] for attr in sorted(members)]


def describe(name: str, obj: Any) -> list[str]:
    """The snapshot lines of one public name."""
    if inspect.isclass(obj):
        return describe_class(name, obj)
    if callable(obj):
        return [f"def {name}{inspect.signature(obj)}"]
    return [f"{name}: {type(obj).__name__}"]


def snapshot() -> str:
    """The whole public API of fillmask_np as text, one module after the other, names sorted."""
    lines: list[str] = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        lines.append(f"# {module_name}")
        for name in sorted(module.__all__, key=str.lower):
            lines.extend(describe(name, getattr(module, name)))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        target = Path(os.environ.get(WRITE_TO, SNAPSHOT))
        target.write_text(snapshot(), encoding="utf-8")
        print(f"wrote {target}")
    elif sys.argv[1:]:
        sys.exit("usage: python tests/helpers/api_snapshot.py [--write]  (no argument: print the snapshot)")
    else:
        print(snapshot(), end="")
