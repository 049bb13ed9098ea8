"""c. One trained model loaded, saved, exported to ONNX and verified: ``export_model`` and its ``ExportedModel``.

``run`` calls ``export_model`` for every model; the later steps (``cases``, ``replay``, ``pll``, ``pipeline``,
``variants``) take the ``ExportedModel`` it returns.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .models import demo_predictions, load_trained_model
from .onnx_export import ort_session, verify_onnx
from .protein import PROTEIN_TEXT_FILES
from .reference import eval_txt_reference
from .specs import MAX_SEQUENCE_LENGTH, TEXT_FILES, ModelSpec
from .stable_export import export_onnx_stable
from .tokenization import load_fast_tokenizer
from .training import check_masked_head_matches_forward

log = logging.getLogger("export_golden")


class Timer:
    """Collects wall-clock durations of named steps (logged only, so the manifest stays deterministic)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.steps: dict[str, float] = {}

    def measure(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = fn()
        self.steps[name] = round(time.perf_counter() - t0, 2)
        log.info("%s: %.1f s", name, self.steps[name])
        return result

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)


@dataclass
class ExportedModel:
    """A trained model with its tokenizer, ONNX session and manifest entry."""

    spec: ModelSpec
    model: PreTrainedModel
    tok: PreTrainedTokenizerFast
    session: ort.InferenceSession
    entry: dict[str, Any]


EVAL_FILES = {"english": TEXT_FILES[1], "protein": PROTEIN_TEXT_FILES[1]}


def write_safetensors(model: PreTrainedModel, model_dir: Path) -> None:
    """``model_dir/model.safetensors`` exactly as ``save_pretrained`` writes it (tied weights once), for the
    NumPy backend. Saved from a copy into a temporary directory: ``save_pretrained`` would also rewrite the
    model's config.json (architectures, dtype), which the golden files keep as ``config.save_pretrained`` wrote it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        copy.deepcopy(model).save_pretrained(tmp, safe_serialization=True)
        shutil.copyfile(Path(tmp) / "model.safetensors", model_dir / "model.safetensors")


def export_model(
    spec: ModelSpec,
    model_dir: Path,
    trained: tuple[dict[str, np.ndarray], dict[str, Any]],
    slow_check: dict[str, Any],
    train_lines: Sequence[str],
    eval_lines: Sequence[str],
    timer: Timer,
) -> ExportedModel:
    """Load the trained weights, save config.json, export to ONNX and verify one model."""
    tok = load_fast_tokenizer(model_dir, spec.tokenizer)
    weights, training = trained
    if "seconds" in training:  # not when the weights are the committed ones
        timer.steps[f"train {spec.name} (worker)"] = training["seconds"]
    train_record = training["record"]
    model = load_trained_model(spec, tok, weights)
    check_masked_head_matches_forward(spec, model, tok, train_lines[:16])
    model.config.save_pretrained(str(model_dir))
    onnx_path = model_dir / "model.onnx"
    opset = timer.measure(f"export {spec.name}", lambda: export_onnx_stable(spec, model, tok, onnx_path, weights))
    verification = timer.measure(
        f"verify {spec.name}", lambda: verify_onnx(spec, model, tok, onnx_path, eval_lines)
    )
    write_safetensors(model, model_dir)
    config = model.config
    entry = {
        "dir": f"models/{spec.name}",
        "architecture": spec.architecture,
        "inputs": list(spec.input_names),
        "outputs": ["logits"],
        "vocab_size": int(config.vocab_size),
        "len_tokenizer": len(tok),
        "mask_token_id": tok.mask_token_id,
        "pad_token_id": tok.pad_token_id,
        "cls_token_id": tok.cls_token_id,
        "sep_token_id": tok.sep_token_id,
        "eos_token_id": tok.eos_token_id,
        "unk_token_id": tok.unk_token_id,
        "special_tokens": dict(spec.tokenizer.special_tokens),
        "tokenizer_kind": spec.tokenizer.kind,
        "max_position_embeddings": int(config.max_position_embeddings),
        "max_sequence_length": MAX_SEQUENCE_LENGTH,
        "n_parameters": sum(parameter.numel() for parameter in model.parameters()),
        "attn_implementation": str(config._attn_implementation),
        "train": train_record,
        "export": {"opset": opset, "dynamo": True, "external_data": False, **verification},
        "slow_tokenizer_matches_fast": None if "not_applicable" in slow_check else all(slow_check["checkers"].values()),
        "slow_tokenizer_check": slow_check,
        "demo_predictions": demo_predictions(spec, model, tok),
        "eval_txt_reference": eval_txt_reference(spec, model, tok, eval_lines, EVAL_FILES[spec.corpus]),
    }
    return ExportedModel(spec, model, tok, ort_session(onnx_path), entry)
