"""The feed of an ONNX masked LM: a block of rows padded to the graph's fixed shapes, in its dtypes,
with ``position_ids`` filled as the architecture computes them."""

from __future__ import annotations

import numpy as np

from .contract import InputSpec, fill_position_ids

__all__ = ["build_feed"]


def build_feed(specs: dict[str, InputSpec], arrays: dict[str, np.ndarray], start: int, stop: int, width: int, *,
               rows: int | None, pad_token_id: int, position_ids: str, padding_idx: int) -> dict[str, np.ndarray]:
    """The graph's inputs for rows [start, stop) of ``arrays``, padded to ``rows`` x ``width``.

    Args:
        specs: the graph's inputs by name (their dtypes).
        arrays: [B, L] ``input_ids``, ``attention_mask``, ``token_type_ids``.
        start, stop: the rows to feed.
        width: the sequence length to run at (the graph's fixed length, else L).
        rows: the batch size to run at (the graph's fixed batch), or None for ``stop - start``; filler rows
            repeat the first row, so the model sees ordinary input.
        pad_token_id: id written into padding positions.
        position_ids: "arange" or "padding_offset" (see ``contract.fill_position_ids``).
        padding_idx: the padding index RoBERTa-like positions count from.
    Returns:
        {name: [rows, width] array} for every graph input but ``masked_positions``.
    """
    n = stop - start
    rows = rows or n
    length = arrays["input_ids"].shape[1]
    feed: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        if name == "position_ids":
            continue
        fill = pad_token_id if name == "input_ids" else 0
        block = np.full((rows, width), fill, dtype=np.int64)  # [rows, width]
        block[:n, :length] = arrays[name][start:stop]
        if n < rows:
            block[n:, :length] = arrays[name][start]
        feed[name] = np.ascontiguousarray(block, dtype=spec.dtype)
    if "position_ids" in specs:
        ids = feed["input_ids"].astype(np.int64)  # [rows, width], padding included
        positions = fill_position_ids(ids, position_ids, padding_idx)
        feed["position_ids"] = np.ascontiguousarray(positions, dtype=specs["position_ids"].dtype)
    return feed
