"""The input/output contract of an exported masked LM: which inputs can be filled and how, which output is the logits.

Inputs: ``input_ids``, ``attention_mask``, optional ``token_type_ids`` and ``position_ids`` (int64 or
int32, [batch, sequence], fixed or dynamic), and ``masked_positions`` (int64 [M, 2]) in graphs written
by ``fillmask-np optimize``. Logits: the output named by ``logits_output=``, else the one named
``logits``, else the only float output of the right rank, else the one whose last dimension is the
``vocab_size`` of a config.json beside the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..limits import is_int
from ..text import check_input_file

__all__ = ["SUPPORTED_INPUTS", "POSITIONS_INPUT", "OFFSET_POSITION_MODELS", "InputSpec", "config_path", "read_config",
           "config_int",
           "max_positions", "fill_position_ids", "fixed", "read_inputs", "find_logits"]

SUPPORTED_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")
POSITIONS_INPUT = "masked_positions"  # [M, 2] rows the LM head runs on, in graphs from fillmask-np optimize
_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
_FLOAT_TYPES = ("tensor(float)", "tensor(float16)", "tensor(double)")
OFFSET_POSITION_MODELS = ("roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text", "xmod")


@dataclass(frozen=True)
class InputSpec:
    """One graph input: its name, numpy dtype and shape (int for fixed dims, None for dynamic)."""

    name: str
    dtype: type
    shape: tuple[int | None, ...]


def config_path(model_file: Path) -> Path:
    """The config.json of an ONNX graph: beside it, or one folder up for a Hub repo's ``onnx/model.onnx``."""
    beside = model_file.parent / "config.json"
    above = model_file.parent.parent / "config.json"
    return above if model_file.parent.name == "onnx" and not beside.exists() and above.exists() else beside


def read_config(config_path: Path) -> dict[str, Any]:
    """A transformers config.json beside the model, or {} when there is none.

    A config.json that is present but unreadable, not JSON, or not a JSON object is a ``ModelError``: read as
    {}, a RoBERTa-like model would silently get BERT's positions.
    """
    if not config_path.exists():
        return {}
    check_input_file(config_path, what="config.json", fix="fix it or remove it (the model's positions and special ids "
                                                          "are read from it)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read {str(config_path)!r} ({getattr(exc, 'strerror', None) or exc}); fix it or "
                         f"remove it (the model's positions and special ids are read from it)") from exc
    except ValueError as exc:
        raise ModelError(f"{str(config_path)!r} is not valid JSON ({exc}); fix it or remove it (the model's "
                         f"positions and special ids are read from it)") from exc
    if not isinstance(config, dict):
        raise ModelError(f"{str(config_path)!r} holds a JSON {type(config).__name__}, not an object; fix it or "
                         f"remove it")
    return config


def config_int(config: dict[str, Any], key: str) -> int | None:
    value = config.get(key)
    return int(value) if is_int(value) else None


def max_positions(config: dict[str, Any]) -> int | None:
    """Longest input the position embeddings allow, from a transformers config."""
    positions = config_int(config, "max_position_embeddings")
    if positions is None:
        return None
    if config.get("model_type") in OFFSET_POSITION_MODELS:  # positions start after the padding index
        positions -= (config_int(config, "pad_token_id") or 1) + 1
    return positions if positions > 0 else None


def fill_position_ids(ids: np.ndarray, style: str, padding_idx: int) -> np.ndarray:
    """[B, L] position ids: "arange" 0..L-1, or "padding_offset" as HF's create_position_ids_from_input_ids."""
    if style == "arange":
        return np.broadcast_to(np.arange(ids.shape[1], dtype=np.int64), ids.shape)
    real = ids != padding_idx  # [B, L]
    return np.cumsum(real, axis=1) * real + padding_idx


def fixed(dim: Any) -> int | None:
    return dim if is_int(dim) and dim > 0 else None


def read_inputs(session: Any, path: Path) -> tuple[dict[str, InputSpec], bool]:
    """The graph inputs the evaluator fills, and whether it has a ``masked_positions`` input."""
    specs: dict[str, InputSpec] = {}
    gathers = False
    for node in session.get_inputs():
        if node.name == POSITIONS_INPUT:
            if node.type != "tensor(int64)" or len(node.shape) != 2 or fixed(node.shape[1]) not in (None, 2):
                raise ModelError(f"model input {POSITIONS_INPUT!r} is {node.type} {node.shape}; expected int64 "
                                 f"[masked, 2] as fillmask-np optimize writes it")
            gathers = True
            continue
        if node.name not in SUPPORTED_INPUTS:
            raise ModelError(f"model input {node.name!r} cannot be filled by a masked-LM evaluator; "
                             f"supported inputs are {list(SUPPORTED_INPUTS)}: re-export the model without it")
        if node.type not in _INT_TYPES:
            raise ModelError(f"model input {node.name!r} has type {node.type!r}; expected int64 or int32")
        shape = tuple(fixed(d) for d in node.shape)
        if len(shape) != 2:
            raise ModelError(f"model input {node.name!r} has shape {node.shape!r}; expected [batch, sequence]")
        specs[node.name] = InputSpec(node.name, _INT_TYPES[node.type], shape)
    if "input_ids" not in specs:
        raise ModelError(f"model {str(path)!r} has no 'input_ids' input (inputs: {list(specs)}); "
                         f"export it with input names input_ids/attention_mask")
    return specs, gathers


def find_logits(session: Any, path: Path, config: dict[str, Any], name: str | None,
                gathers: bool) -> tuple[str, int | None]:
    """(name, static vocabulary size or None) of the logits output; see the module docstring for the rules."""
    rank, shape = (2, "[masked, vocab]") if gathers else (3, "[batch, sequence, vocab]")
    outputs = session.get_outputs()
    listing = [(o.name, o.type, o.shape) for o in outputs]
    if name is not None:
        candidates = [o for o in outputs if o.name == name]
        if not candidates:
            raise ModelError(f"model {str(path)!r} has no output {name!r} (outputs: {listing}); "
                             f"pass one of their names as logits_output")
    else:
        candidates = [o for o in outputs if o.name == "logits"]
        candidates = candidates or [o for o in outputs if o.type in _FLOAT_TYPES and len(o.shape) == rank]
        vocab = config_int(config, "vocab_size")
        if len(candidates) > 1 and vocab is not None:  # e.g. hidden states beside the logits
            candidates = [o for o in candidates if o.shape[-1] == vocab]
    if len(candidates) != 1:
        raise ModelError(f"model {str(path)!r} has no single logits output (outputs: {listing}); "
                         f"pass logits_output=NAME (--logits-output NAME), or name the {shape} "
                         f"output 'logits' when exporting")
    out = candidates[0]
    if out.type not in _FLOAT_TYPES or len(out.shape) != rank:
        raise ModelError(f"output {out.name!r} of {str(path)!r} is {out.type} {out.shape}, not float "
                         f"{shape} logits; pass the logits output's name (outputs: {listing})")
    return out.name, fixed(out.shape[-1])
