"""The golden models of the manifest, each loaded once per test session with its tokenizer."""

from __future__ import annotations

import functools

import fillmask_np as fm

from .paths import GOLDEN, load_manifest


@functools.lru_cache(maxsize=None)
def load_golden(name: str) -> tuple[fm.OnnxMaskedLM, fm.Tokenizer]:
    """(model, tokenizer) of golden model ``name`` (the manifest's ``models[name]["dir"]``)."""
    directory = GOLDEN / load_manifest()["models"][name]["dir"]
    return fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)
