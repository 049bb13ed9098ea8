"""Run an export variant the way fillmask_np is expected to (numpy + onnxruntime only, no torch).

Shared by ``variants`` (verification at export time) and ``check_golden.py`` (regenerated models).  The
behaviour is driven by the variant's manifest entry (see ``variants.describe_variant``):

* every graph input gets the batch in its declared dtype (``int64`` or ``int32``); ``token_type_ids`` are
  zeros unless given; ``position_ids`` follow the entry's rule;
* a fixed-shape graph gets the batch padded up to its shape -- rows up to a multiple of the fixed batch
  size (filler rows repeat the first row), the sequence up to the fixed length with the pad id and
  attention 0 -- and the logits are trimmed back;
* the logits are the output named ``logits_output`` (which need not be the only or the first output),
  returned in the graph's dtype (float16 for a float16 model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort


def roberta_position_ids(input_ids: np.ndarray, padding_idx: int) -> np.ndarray:
    """HF ``create_position_ids_from_input_ids``: ``padding_idx + cumsum(input_ids != padding_idx)``.

    Pad tokens get ``padding_idx``; positions follow the (masked) input ids, not the attention mask.
    """
    not_pad = (input_ids != padding_idx).astype(np.int64)
    return np.cumsum(not_pad, axis=1) * not_pad + padding_idx


def position_ids(rule: dict[str, Any], input_ids: np.ndarray) -> np.ndarray:
    """int64 position ids [B, L] for a variant's ``position_ids`` rule."""
    if rule["kind"] == "arange":
        return np.broadcast_to(np.arange(input_ids.shape[1], dtype=np.int64), input_ids.shape).copy()
    if rule["kind"] == "padding_idx_cumsum":
        return roberta_position_ids(input_ids, rule["padding_idx"])
    raise ValueError(f"unknown position_ids rule {rule}")


def fixed_shape(entry: dict[str, Any]) -> tuple[int, int] | None:
    """(batch, length) of a graph with static input shapes, or None for dynamic ones."""
    shape = entry["inputs"][0]["shape"]
    return (shape[0], shape[1]) if all(isinstance(dim, int) for dim in shape) else None


def pad_to_fixed(
    arrays: dict[str, np.ndarray], shape: tuple[int, int], pad_token_id: int
) -> dict[str, np.ndarray]:
    """Pad rows (repeating row 0) to a multiple of shape[0] and columns (pad id / 0) up to shape[1]."""
    rows, length = arrays["input_ids"].shape
    if length > shape[1]:
        raise ValueError(f"sequence length {length} > the graph's fixed length {shape[1]}")
    n_rows = -(-rows // shape[0]) * shape[0]
    padded = {}
    for name, array in arrays.items():
        filled = np.concatenate([array, np.repeat(array[:1], n_rows - rows, axis=0)])
        value = pad_token_id if name == "input_ids" else 0
        padded[name] = np.pad(filled, ((0, 0), (0, shape[1] - length)), constant_values=value)
    return padded


def run_variant(
    session: ort.InferenceSession,
    entry: dict[str, Any],
    input_ids: np.ndarray,
    attention_mask: np.ndarray,
    token_type_ids: np.ndarray | None = None,
) -> np.ndarray:
    """Logits [B, L, V] of a right-padded batch, in the graph's logits dtype."""
    rows, length = input_ids.shape
    arrays = {"input_ids": input_ids, "attention_mask": attention_mask}
    arrays["token_type_ids"] = np.zeros_like(input_ids) if token_type_ids is None else token_type_ids
    shape = fixed_shape(entry)
    if shape is not None:
        arrays = pad_to_fixed(arrays, shape, entry["pad_token_id"])
    if entry.get("position_ids"):
        arrays["position_ids"] = position_ids(entry["position_ids"], arrays["input_ids"])
    feeds = {value["name"]: arrays[value["name"]].astype(value["dtype"]) for value in entry["inputs"]}
    step = shape[0] if shape is not None else rows
    chunks = [
        session.run([entry["logits_output"]], {name: feed[start : start + step] for name, feed in feeds.items()})[0]
        for start in range(0, len(feeds["input_ids"]), step)
    ]
    return np.concatenate(chunks)[:rows, :length]
