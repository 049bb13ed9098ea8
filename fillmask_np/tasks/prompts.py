"""What the fill-mask strategies share: encode the text, find its masks, run the model there, and spell a
candidate the way Hugging Face's fill-mask pipeline does (``token_str``, ``sequence``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FillMaskError
from ..numerics import log_softmax
from ..runtime import check_model

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["Prompt", "encode_prompt", "check_length", "log_probs", "sequence", "candidate"]


@dataclass(frozen=True)
class Prompt:
    """One encoded text: int64 [L] arrays and the [K] positions of its mask tokens, in text order."""

    ids: np.ndarray
    type_ids: np.ndarray
    masks: np.ndarray


def encode_prompt(model: MaskedLM, tokenizer: Tokenizer, text: str) -> Prompt:
    """Encode ``text`` (special tokens added, as the pipeline) and find its mask tokens."""
    if not isinstance(text, str):
        raise FillMaskError(f"text must be a str, got {type(text).__name__}; pass one text with mask tokens")
    check_model(model).check_tokenizer(tokenizer)
    enc = tokenizer.encode_batch([text])
    ids = enc.input_ids[0]  # [L]
    masks = np.flatnonzero(ids == tokenizer.mask_token_id)  # [K]
    if len(masks) == 0:
        raise FillMaskError(f"no mask token {tokenizer.mask_token!r} in {text!r}; put {tokenizer.mask_token} "
                            f"where a word should be predicted")
    check_length(model, len(ids), what=f"text {text[:60]!r}")
    return Prompt(ids, enc.token_type_ids[0], masks)


def check_length(model: MaskedLM, length: int, *, what: str) -> None:
    """Refuse a sequence longer than the model accepts (its fixed length or its position embeddings)."""
    limit = model.max_length
    if limit is not None and length > limit:
        raise FillMaskError(f"{what} is {length} tokens, more than the model's limit {limit}; shorten the text")


def log_probs(model: MaskedLM, tokenizer: Tokenizer, ids: np.ndarray, type_ids: np.ndarray,
              positions: np.ndarray) -> np.ndarray:
    """float64 log-probabilities [K, V] at ``positions`` [K] of one sequence ``ids`` [L] (one model run)."""
    at = np.stack([np.zeros_like(positions), positions], axis=1)  # [K, 2] (row 0, position)
    rows = model.masked_logits(ids[None], np.ones_like(ids)[None], type_ids[None], at,
                               pad_token_id=tokenizer.pad_token_id)  # [K, V], the head run on these rows only if it can
    return log_softmax(np.asarray(rows, dtype=np.float64))  # [K, V]


def sequence(tokenizer: Tokenizer, ids: np.ndarray, *, skip_special_tokens: bool) -> str:
    """The pipeline's ``sequence``: ``ids`` without pad ids, decoded (specials kept when masks remain)."""
    kept = ids[ids != tokenizer.pad_token_id]  # [L] -> [L'], as the pipeline filters padding out
    return tokenizer.decode(kept.tolist(), skip_special_tokens=skip_special_tokens)


def candidate(tokenizer: Tokenizer, ids: np.ndarray, position: int, token_id: int, score: float, *,
              skip_special_tokens: bool) -> dict[str, Any]:
    """One ``{"score", "token", "token_str", "sequence"}`` dict: ``token_id`` written at ``position``."""
    filled = ids.copy()
    filled[position] = token_id
    return {"score": float(score), "token": int(token_id),
            "token_str": tokenizer.decode([int(token_id)], skip_special_tokens=False),
            "sequence": sequence(tokenizer, filled, skip_special_tokens=skip_special_tokens)}
