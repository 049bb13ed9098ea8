"""c. ONNX export of models whose traced graph follows Python's str hashing, in a child with a fixed hash seed.

While tracing, transformers' ModernBERT iterates over ``set(config.layer_types)`` to build one rotary
embedding per layer type, so the order (and hence the names) of those two subgraphs in model.onnx follows the
per-process str hash seed: the file would differ from run to run.  Such models are exported in a spawned
process started with ``PYTHONHASHSEED=0`` (from the same float32 weights); the others in this process.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .families import ALL_SPEC_BY_NAME
from .models import configure_torch, load_trained_model
from .onnx_export import export_onnx
from .specs import ModelSpec
from .tokenization import load_fast_tokenizer

HASH_SEED_SENSITIVE = ("ModernBertForMaskedLM",)
HASH_SEED = "0"


def _export_worker(name: str, path: str, weights: dict[str, np.ndarray]) -> int:
    """Rebuild the trained model and export it (runs in the child)."""
    configure_torch()
    spec = ALL_SPEC_BY_NAME[name]
    tok = load_fast_tokenizer(Path(path).parent, spec.tokenizer)
    return export_onnx(spec, load_trained_model(spec, tok, weights), tok, Path(path))


def export_onnx_stable(
    spec: ModelSpec,
    model: PreTrainedModel,
    tok: PreTrainedTokenizerFast,
    path: Path,
    weights: dict[str, np.ndarray],
) -> int:
    """``export_onnx``, in a ``PYTHONHASHSEED=0`` child for the architectures in HASH_SEED_SENSITIVE."""
    if spec.architecture not in HASH_SEED_SENSITIVE or os.environ.get("PYTHONHASHSEED") == HASH_SEED:
        return export_onnx(spec, model, tok, path)
    previous = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = HASH_SEED  # read by the spawned interpreter at start-up
    try:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(_export_worker, spec.name, str(path), weights).result()
    finally:
        if previous is None:
            del os.environ["PYTHONHASHSEED"]
        else:
            os.environ["PYTHONHASHSEED"] = previous
