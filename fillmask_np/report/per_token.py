"""The per-token table of an evaluation: one row per masked token, the records of ``EvalReport.tokens`` plus
what a person reads them with (the source position of the sample, the token strings, what the model saw at the
position, the label's probability). What ``--tokens`` writes and ``EvalReport.to_pandas()`` returns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FillMaskError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["TABLE_COLUMNS", "input_kinds", "token_table"]

# in this order; the string columns and ``input_kind`` need the tokenizer
TABLE_COLUMNS = ("sample", "source_position", "position", "label", "label_token", "input_id", "input_kind", "loss",
                 "rank", "top_id", "top_token", "label_prob")


def input_kinds(input_ids: np.ndarray, labels: np.ndarray, mask_token_id: int) -> np.ndarray:
    """[T] what the model saw at each masked position: "mask", "kept" (the label itself) or "random".

    As seen by the model: a random draw that happens to be the mask or the label reads as that.

    >>> input_kinds(np.array([103, 7, 9]), np.array([5, 7, 8]), 103).tolist()
    ['mask', 'kept', 'random']
    """
    out = np.full(len(input_ids), "random", dtype=object)  # [T]
    out[input_ids == labels] = "kept"
    out[input_ids == mask_token_id] = "mask"
    return out.astype(str)


def token_table(tokens: dict[str, np.ndarray] | None, per_sample: dict[str, list],
                tokenizer: Tokenizer | None = None) -> dict[str, np.ndarray]:
    """One [T] column per ``TABLE_COLUMNS`` name (those needing a tokenizer left out without one).

    Args:
        tokens: ``EvalReport.tokens`` (from ``evaluate(..., return_tokens=True)``).
        per_sample: ``EvalReport.per_sample`` (maps each sample index to its position in the source).
        tokenizer: decodes ``label_token`` / ``top_token`` and names the mask for ``input_kind``.
    Returns:
        a dict of [T] arrays, rows sorted by (sample, position) as the records; ``loss`` and ``label_prob``
        float64 (``label_prob = exp(-loss)``), ids int64, strings ``str``.
    """
    if tokens is None:
        raise FillMaskError("this report has no per-token records; evaluate with return_tokens=True")
    where = dict(zip(per_sample.get("index", []), per_sample.get("position", [])))
    sample = np.asarray(tokens["sample"], dtype=np.int64)  # [T]
    columns: dict[str, Any] = {
        "sample": sample,
        "source_position": np.array([where.get(int(i), -1) for i in sample], dtype=np.int64),
        "position": np.asarray(tokens["position"], dtype=np.int64),
        "label": np.asarray(tokens["label"], dtype=np.int64),
        "input_id": np.asarray(tokens["input_id"], dtype=np.int64),
        "loss": np.asarray(tokens["loss"], dtype=np.float64),
        "rank": np.asarray(tokens["rank"], dtype=np.int64),
        "top_id": np.asarray(tokens["top_id"], dtype=np.int64),
    }
    columns["label_prob"] = np.exp(-columns["loss"])
    if tokenizer is not None:
        columns["label_token"] = _strings(tokenizer, columns["label"])
        columns["top_token"] = _strings(tokenizer, columns["top_id"])
        columns["input_kind"] = input_kinds(columns["input_id"], columns["label"], tokenizer.mask_token_id)
    return {k: columns[k] for k in TABLE_COLUMNS if k in columns}


def _strings(tokenizer: Tokenizer, ids: np.ndarray) -> np.ndarray:
    """[T] token strings of ``ids``, each distinct id looked up once."""
    unique, inverse = np.unique(ids, return_inverse=True)
    names = np.array(tokenizer.convert_ids_to_tokens(unique.tolist()) or [""], dtype=str)
    return names[inverse] if len(ids) else np.zeros(0, dtype=str)
