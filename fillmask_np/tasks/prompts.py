"""What the fill-mask strategies share: encode the text, find its masks, run the model there, and spell a
candidate the way Hugging Face's fill-mask pipeline does (``token_str``, ``sequence``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import FillMaskError
from ..metrics import warn_unknown
from ..numerics import log_softmax
from ..runtime import check_pair
from ..tokenization import MAX_CHARS_PER_TOKEN, count_unknown, pad_ids

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["Prompt", "encode_prompt", "encode_prompts", "check_length", "batch_log_probs", "sequence", "candidate"]


@dataclass(frozen=True)
class Prompt:
    """One encoded text: int64 [L] arrays and the [K] positions of its mask tokens, in text order."""

    ids: np.ndarray
    type_ids: np.ndarray
    masks: np.ndarray


def encode_prompt(model: MaskedLM, tokenizer: Tokenizer, text: str) -> Prompt:
    """Encode ``text`` (special tokens added, as the pipeline) and find its mask tokens."""
    return encode_prompts(model, tokenizer, [text])[0]


def encode_prompts(model: MaskedLM, tokenizer: Tokenizer, texts: Sequence[str], *, new_tokens: int = 0,
                   fix: str = "") -> list[Prompt]:
    """Encode ``texts`` (special tokens added), append ``new_tokens`` masks to each, find the masks.

    Args:
        model: checked to be a ``MaskedLM`` that fits ``tokenizer``; its length limit is enforced.
        tokenizer: adds the special tokens and names the mask token.
        texts: the prompts; each must hold a mask token unless ``new_tokens`` > 0.
        new_tokens: masks inserted before the final special token the tokenizer added (``[SEP]``,
            ``</s>``, ``<eos>``), or at the end when it adds none: the text is a prefix to continue.
        fix: more advice for the no-mask message (e.g. "or pass new_tokens=N").
    Returns:
        one ``Prompt`` per text, ids and types [L] unpadded, masks [K] in text order. Warns
        (``UnknownTokensWarning``) when more than ``config.UNK_SHARE_LIMIT`` of the texts' tokens are unknown.
    """
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise FillMaskError(f"text must be a str, got {type(text).__name__} (texts[{i}]); pass texts with mask "
                                f"tokens")
    check_pair(model, tokenizer)
    _refuse_overlong(model, texts)
    rows = tokenizer.encode_rows(list(texts))
    unknown, known_or_not = count_unknown(tokenizer, rows)
    warn_unknown({"unk_tokens": unknown, "text_tokens": known_or_not})
    prompts = []
    for text, row in zip(texts, rows):
        ids, types = row.ids, row.type_ids  # [L]
        if new_tokens:
            at = len(ids) - 1 if len(ids) and row.special_tokens_mask[-1] else len(ids)
            ids = np.concatenate([ids[:at], np.full(new_tokens, tokenizer.mask_token_id, dtype=ids.dtype), ids[at:]])
            types = np.concatenate([types[:at], np.full(new_tokens, types[at - 1] if at else 0, dtype=types.dtype),
                                    types[at:]])
        masks = np.flatnonzero(ids == tokenizer.mask_token_id)  # [K]
        if len(masks) == 0:
            raise FillMaskError(f"no mask token {tokenizer.mask_token!r} in {_head(text)}; put {tokenizer.mask_token} "
                                f"where a word should be predicted{fix}")
        extra = f" with {new_tokens} new tokens" if new_tokens else ""
        check_length(model, len(ids), what=f"text {text[:60]!r}{extra}" if text else f"a prompt of {len(masks)} masks")
        prompts.append(Prompt(ids, types, masks))
    return prompts


def _head(text: str) -> str:
    """``text``'s repr, its first 60 characters only when longer (a message quotes a prompt, not a file)."""
    return repr(text) if len(text) <= 60 else f"{text[:60]!r}... ({len(text)} characters)"


def _refuse_overlong(model: MaskedLM, texts: Sequence[str]) -> None:
    """Refuse, before tokenizing it, a text longer than the model's token limit can hold (``MAX_CHARS_PER_TOKEN``
    characters a token): tokenizing a 10 MB line only to refuse it would take gigabytes."""
    limit = model.max_length
    for i, text in enumerate(texts):
        if limit is not None and len(text) > limit * MAX_CHARS_PER_TOKEN:
            raise FillMaskError(f"text {_head(text)} (texts[{i}]) is longer than the model's limit of {limit} tokens "
                                f"can hold ({limit} x {MAX_CHARS_PER_TOKEN} characters); shorten the text")


def check_length(model: MaskedLM, length: int, *, what: str) -> None:
    """Refuse a sequence longer than the model accepts (its fixed length or its position embeddings)."""
    limit = model.max_length
    if limit is not None and length > limit:
        raise FillMaskError(f"{what} is {length} tokens, more than the model's limit {limit}; shorten the text")


def batch_log_probs(model: MaskedLM, tokenizer: Tokenizer, prompts: Sequence[Prompt]) -> list[np.ndarray]:
    """float64 log-probabilities [K_i, V] at each prompt's ``masks`` [K_i], from one model run.

    The prompts are right-padded with the pad id (attention mask 0) into one [B, L] batch; one prompt
    runs unpadded.
    """
    ids, attention, types = pad_ids([p.ids for p in prompts], [p.type_ids for p in prompts],
                                    pad_token_id=tokenizer.pad_token_id)  # [B, L] each
    at = np.concatenate([np.stack([np.full(len(p.masks), b), p.masks], axis=1)
                         for b, p in enumerate(prompts)]).astype(np.int64)  # [M, 2] (row, position)
    rows = model.masked_logits(ids, attention, types, at,
                               pad_token_id=tokenizer.pad_token_id)  # [M, V], the head run on these rows only if it can
    log_p = log_softmax(np.asarray(rows, dtype=np.float64))  # [M, V]
    return np.split(log_p, np.cumsum([len(p.masks) for p in prompts])[:-1])


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
