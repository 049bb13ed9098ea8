"""The golden models of the manifest, each loaded once per test session with its tokenizer."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import fillmask_np as fm

from .paths import GOLDEN, load_manifest


@functools.lru_cache(maxsize=None)
def load_golden(name: str) -> tuple[fm.OnnxMaskedLM, fm.Tokenizer]:
    """(model, tokenizer) of golden model ``name`` (the manifest's ``models[name]["dir"]``)."""
    directory = GOLDEN / load_manifest()["models"][name]["dir"]
    return fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)


def optimize_golden(names: tuple[str, ...], tmp_path_factory: Any, tag: str) -> dict[str, tuple[Any, Path]]:
    """Each golden export of ``names`` optimized (float32) into a fresh temporary folder: name -> (report, folder)."""
    from fillmask_np.optimize import optimize_model

    out = {}
    for name in names:
        directory = tmp_path_factory.mktemp(f"{name}_{tag}")
        out[name] = (optimize_model(GOLDEN / "models" / name, directory), directory)
    return out
