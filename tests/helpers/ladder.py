"""The damaged models of the verdict ladder, from bench/_ladder_models.py and bench/_broken_models.py (loaded by
path: bench/ is no package), so that the verdict tests perturb and break a model exactly as
bench/verdict_ladder.py does."""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from .paths import GOLDEN, REPO

__all__ = ["broken_models", "ladder_models", "perturbed_bert"]


def _bench_module(name: str) -> ModuleType:
    """bench/<name>.py as the module ``name`` (registered, so that one bench module can import another)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@lru_cache(maxsize=1)
def ladder_models() -> ModuleType:
    """bench/_ladder_models.py as a module."""
    return _bench_module("_ladder_models")


@lru_cache(maxsize=1)
def broken_models() -> ModuleType:
    """bench/_broken_models.py as a module: the fidelity rungs' graph edits (``BREAKS``)."""
    ladder_models()  # it imports _ladder_models by name
    return _bench_module("_broken_models")


def perturbed_bert(directory: Path, level: float, *, seed: int = 0) -> Path:
    """``directory``: the golden BERT with seeded noise of ``level`` x each feed-forward weight's std (+ its
    config and tokenizer files)."""
    ladder_models().perturb_feed_forward(GOLDEN / "models" / "bert", directory, level, seed=seed)
    return directory
