"""The package's shape, checked from the source: no import cycle, no private name crossing a folder, no
model probed with hasattr/getattr, modules of one job (bounded size), every stage's public names in its
``__init__``. The stage order itself is import-linter's contract in setup.cfg (run by .ci/run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers import REPO

PACKAGE = REPO / "fillmask_np"
EXPORTER = REPO / "golden_data" / "exporter"
MAX_LINES = 260  # "~200 lines, one job": the few above 200 are one class each


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(root: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """module -> [(imported module, names imported from it)], relative imports resolved, TYPE_CHECKING included."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(root, path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                found.append((target, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found += [(alias.name, []) for alias in node.names]
        modules[name] = found
    return modules


def _edges(root: Path) -> dict[str, set[str]]:
    modules = _imports(root)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, found in modules.items():
        for target, names in found:
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in modules and candidate != module:
                    edges[module].add(candidate)
                    break
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def _folder(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


@pytest.mark.parametrize("root", [PACKAGE, EXPORTER], ids=["fillmask_np", "golden_data.exporter"])
def test_there_is_no_import_cycle(root):
    assert _cycles(_edges(root)) == []


def test_a_cycle_is_found_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_a_private_name_from_another_folder():
    modules = _imports(PACKAGE)
    crossing = []
    for module, found in modules.items():
        folder = _folder(module) if not (PACKAGE / (module.split(".", 1)[-1].replace(".", "/"))).is_dir() else module
        for target, names in found:
            if not target.startswith("fillmask_np"):
                continue
            target_folder = target if (PACKAGE.parent / target.replace(".", "/")).is_dir() else _folder(target)
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            private += [p for p in target.split(".") if p.startswith("_") and p != "__init__"]
            if private and target_folder != folder:
                crossing.append(f"{module} imports {private} from {target}")
    assert crossing == []


MODEL_WORDS = re.compile(r"model|network|attention|layer|session|candidate|reference")


def _protocol_members() -> set[str]:
    """The names the package's Protocol classes declare (MaskedLM, Network, Attention, ...)."""
    members = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(ast.unparse(b).endswith("Protocol") for b in node.bases):
                members |= {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                members |= {n.target.id for n in node.body
                            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    return members - {"__call__"}


def _probes(source: str, members: set[str]) -> list[int]:
    """Lines of attribute probes on a model or a part of one: ``hasattr(obj, ...)`` or ``getattr(obj, "name",
    default)`` where ``obj`` (any expression: ``model``, ``self.network``, ``layer.attention``) names a model part
    or the name is a protocol member. A getattr with a computed name and no default (reflection) is not a probe."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2):
            continue
        name = node.args[1].value if isinstance(node.args[1], ast.Constant) else None
        probe = node.func.id == "hasattr" or (node.func.id == "getattr" and (len(node.args) == 3 or node.keywords))
        if probe and (MODEL_WORDS.search(ast.unparse(node.args[0]).lower()) or name in members):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("source", ['hasattr(model, "path")', 'getattr(self.network, "hidden_at", None)',
                                    'getattr(self.attention, "at", None)', 'getattr(obj, "masked_logits", None)',
                                    'hasattr(candidate.session, x)'])
def test_an_attribute_probe_on_a_model_is_found(source):
    assert _probes(source, {"masked_logits"}) == [1]


@pytest.mark.parametrize("source", ["getattr(args, key)", "getattr(report, k)", 'hasattr(os, "sched_getaffinity")',
                                    "model.masked_logits(ids, mask, None, at)"])
def test_reflection_and_probes_on_other_objects_are_not_model_probes(source):
    assert _probes(source, {"masked_logits"}) == []


def test_models_are_used_through_the_protocol_not_probed():
    members = _protocol_members()
    assert {"masked_logits", "hidden_at", "at"} <= members
    probes = [f"{path.relative_to(REPO)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
              for line in _probes(path.read_text(encoding="utf-8"), members)]
    assert probes == []


def test_every_module_stays_small_enough_for_one_job():
    long = {str(p.relative_to(REPO)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_module_is_named_like_the_function_it_exports():
    clashes = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if path.stem in functions:
            clashes.append(str(path.relative_to(REPO)))
    assert clashes == []


@pytest.mark.parametrize("stage", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()))
def test_a_stage_lists_its_public_names_in_its_init(stage):
    import importlib

    module = importlib.import_module(f"fillmask_np.{stage}")
    assert module.__all__, stage
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_setup_cfg_installs_every_stage():
    import configparser

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    stages = {f"fillmask_np.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert stages <= listed
