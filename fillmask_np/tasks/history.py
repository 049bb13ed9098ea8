"""``generate(history=...)`` / ``--history FILE.npz``: every step of every generation as plain arrays.

The file is ``np.savez`` output (read it with ``np.load(path, allow_pickle=False)``): int64 / float64
arrays, ragged records flattened with a generation and a step column, and ``header``, a 0-d unicode array
holding a JSON object (format, model and tokenizer with their sha256, settings, seed, the array names).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..text import AtomicFile
from .generation_result import Generations

__all__ = ["HISTORY_FORMAT", "HISTORY_ARRAYS", "history_arrays", "write_history"]

HISTORY_FORMAT = "fillmask_np.generate.history/1"
HISTORY_ARRAYS = {
    "prompt_index": "[G] prompt of each generation",
    "sample_index": "[G] sample of each generation",
    "lengths": "[G] tokens of each generation",
    "input_ids": "[G, L] the prompts' ids with their masks, -1 after lengths",
    "output_ids": "[G, L] the results' ids, -1 after lengths",
    "fill_generation": "[F] generation of each filled token, fill order",
    "fill_step": "[F] its step (0-based)",
    "fill_position": "[F] its position",
    "fill_token": "[F] the id written",
    "fill_prob": "[F] its model probability (softmax over the vocabulary, temperature 1)",
    "masked_generation": "[Q] generation of each still-masked position at each step",
    "masked_step": "[Q] the step (0-based), before it fills",
    "masked_position": "[Q] the position",
    "top_ids": "[Q, k] the k most probable allowed ids there, best first (k = history_top_k)",
    "top_probs": "[Q, k] their probabilities",
    "unfilled_generation": "[U] generation of each mask left unfilled (max_steps reached)",
    "unfilled_position": "[U] its position",
}


def _padded(rows: list[np.ndarray]) -> np.ndarray:
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), -1, dtype=np.int64)  # [G, L]
    for g, row in enumerate(rows):
        out[g, :len(row)] = row
    return out


def history_arrays(result: Generations, top_k: int) -> dict[str, np.ndarray]:
    """The arrays of ``HISTORY_ARRAYS`` for ``result`` (``top_k`` columns in ``top_ids`` / ``top_probs``)."""
    fills: list[tuple[int, int, int, int, float]] = []
    masked: list[tuple[int, int, int]] = []
    tops_ids: list[np.ndarray] = []  # [R, k] per step
    tops_probs: list[np.ndarray] = []
    for g, gen in enumerate(result):
        for t, step in enumerate(gen.steps):
            fills += [(g, t, int(p), int(i), float(q)) for p, i, q in zip(step.positions, step.tokens, step.probs)]
            masked += [(g, t, int(p)) for p in step.masked]
            if step.top_ids is None or step.top_probs is None:  # set together, with history_top_k
                tops_ids.append(np.zeros((len(step.masked), top_k), np.int64))
                tops_probs.append(np.zeros((len(step.masked), top_k)))
            else:
                tops_ids.append(step.top_ids)
                tops_probs.append(step.top_probs)
    fill = np.array(fills, dtype=np.float64).reshape(-1, 5)  # [F, 5]
    mask = np.array(masked, dtype=np.int64).reshape(-1, 3)  # [Q, 3]
    unfilled = [(g, int(p)) for g, gen in enumerate(result) for p in gen.unfilled]
    unfilled_arr = np.array(unfilled, dtype=np.int64).reshape(-1, 2)  # [U, 2]
    return {
        "prompt_index": np.array([g.prompt_index for g in result], dtype=np.int64),
        "sample_index": np.array([g.sample_index for g in result], dtype=np.int64),
        "lengths": np.array([len(g.ids) for g in result], dtype=np.int64),
        "input_ids": _padded([g.input_ids for g in result]),
        "output_ids": _padded([g.ids for g in result]),
        **{f"fill_{name}": fill[:, j].astype(np.int64)
           for j, name in enumerate(("generation", "step", "position", "token"))},
        "fill_prob": fill[:, 4],
        "masked_generation": mask[:, 0], "masked_step": mask[:, 1], "masked_position": mask[:, 2],
        "top_ids": np.concatenate(tops_ids).astype(np.int64) if tops_ids else np.zeros((0, top_k), np.int64),
        "top_probs": np.concatenate(tops_probs).astype(np.float64) if tops_probs else np.zeros((0, top_k)),
        "unfilled_generation": unfilled_arr[:, 0], "unfilled_position": unfilled_arr[:, 1],
    }


def write_history(path: str | Path, result: Generations, top_k: int, provenance: dict[str, Any]) -> str:
    """Write ``result``'s history to ``path`` atomically (checked beforehand by ``check_output``).

    Args:
        path: the ``.npz`` file.
        result: what ``generate`` returned.
        top_k: the ``history_top_k`` used.
        provenance: model, tokenizer (with sha256) and versions, from ``report.provenance``.
    Returns:
        the sha256 of the bytes written.
    """
    header = {"format": HISTORY_FORMAT, "settings": result.settings, "seed": result.settings.get("seed"),
              "cost": result.cost(), "provenance": provenance, "arrays": HISTORY_ARRAYS}
    # Any: numpy's stub would check a **dict of arrays against savez's allow_pickle: bool too
    arrays: dict[str, Any] = history_arrays(result, top_k)
    target = AtomicFile(path, what="--history")
    with target as handle:
        np.savez(handle, header=np.array(json.dumps(header, ensure_ascii=False)), **arrays)
    assert target.sha256 is not None
    return target.sha256
