"""Fill-mask predictions shaped like Hugging Face's fill-mask pipeline output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import FillMaskError
from .numerics import log_softmax
from .onnx_model import masked_rows

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_model import OnnxMaskedLM
    from .tokenizer import Tokenizer

__all__ = ["fill_mask"]


def fill_mask(model: OnnxMaskedLM, tokenizer: Tokenizer, text: str, *, top_k: int = 5) -> list[Any]:
    """The ``top_k`` most likely tokens for each mask token in ``text``.

    Args:
        model: the ONNX masked LM.
        tokenizer: its tokenizer; ``text`` must contain its mask token.
        top_k: how many candidates per mask.
    Returns:
        for one mask, a list of ``{"score", "token", "token_str", "sequence"}`` dicts, best first;
        for several masks, one such list per mask (as the HF pipeline).

    >>> fill_mask(model, tok, "The cat [MASK] on the mat.")[0]["token_str"]  # doctest: +SKIP
    'sat'
    """
    if int(top_k) < 1:
        raise FillMaskError(f"top_k={top_k!r} must be at least 1")
    if hasattr(model, "check_tokenizer"):
        model.check_tokenizer(tokenizer)
    enc = tokenizer.encode_batch([text])
    ids = enc.input_ids[0]  # [L]
    positions = np.flatnonzero(ids == tokenizer.mask_token_id)
    if len(positions) == 0:
        raise FillMaskError(f"no mask token {tokenizer.mask_token!r} in {text!r}; put {tokenizer.mask_token} "
                            f"where a word should be predicted")
    at = np.stack([np.zeros_like(positions), positions], axis=1)  # [K, 2] (row 0, position)
    rows = masked_rows(model, enc.input_ids, enc.attention_mask, enc.token_type_ids, at,
                       pad_token_id=tokenizer.pad_token_id)  # [K, V], the head run on the masks only if it can
    k = min(int(top_k), rows.shape[-1])
    probs = np.exp(log_softmax(rows.astype(np.float64)))  # [K, V]
    results = []
    for p, row in zip(positions, probs):
        best = np.argsort(-row, kind="stable")[:k]
        candidates = []
        for token_id in best:
            filled = ids.copy()
            filled[p] = token_id
            candidates.append({
                "score": float(row[token_id]),
                "token": int(token_id),
                "token_str": tokenizer.decode([int(token_id)]).strip(),
                "sequence": tokenizer.decode(filled.tolist()),
            })
        results.append(candidates)
    return results[0] if len(results) == 1 else results
