"""The damaged models of the verdict ladder, from bench/_ladder_models.py (loaded by path: bench/ is no package),
so that the verdict tests perturb a model exactly as bench/verdict_ladder.py does."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from .paths import GOLDEN, REPO

__all__ = ["ladder_models", "perturbed_bert"]


@lru_cache(maxsize=1)
def ladder_models() -> ModuleType:
    """bench/_ladder_models.py as a module."""
    spec = importlib.util.spec_from_file_location("bench_ladder_models", REPO / "bench" / "_ladder_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def perturbed_bert(directory: Path, level: float, *, seed: int = 0) -> Path:
    """``directory``: the golden BERT with seeded noise of ``level`` x each feed-forward weight's std (+ its
    config and tokenizer files)."""
    ladder_models().perturb_feed_forward(GOLDEN / "models" / "bert", directory, level, seed=seed)
    return directory
