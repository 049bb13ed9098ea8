"""What two compared models must share: a tokenizer mapping tokens to the same ids, the logits width,
and a sequence length both accept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FillMaskError, TokenizerError
from ..text import file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["check_same_tokenizer", "check_vocab", "shared_max_length"]


def _name(model: Any) -> str:
    return repr(model.name)


def check_same_tokenizer(tokenizer: Tokenizer, other: Tokenizer) -> None:
    """Raise ``TokenizerError`` unless both tokenizers map the same tokens to the same ids (specials included)."""
    same_file = (Path(str(tokenizer.source)).is_file() and Path(str(other.source)).is_file()
                 and file_sha256(tokenizer.source) == file_sha256(other.source))
    if same_file:
        return
    roles = ("mask_token_id", "pad_token_id", "cls_token_id", "sep_token_id")
    a = (tokenizer.backend.get_vocab(with_added_tokens=True), [getattr(tokenizer, r) for r in roles])
    b = (other.backend.get_vocab(with_added_tokens=True), [getattr(other, r) for r in roles])
    if a != b:
        raise TokenizerError(f"the candidate's tokenizer {tokenizer.source!r} ({len(tokenizer)} tokens) and the "
                             f"reference's {other.source!r} ({len(other)} tokens) map tokens to different ids, so "
                             f"the two models cannot be fed the same masked batches; compare models that share "
                             f"a tokenizer")


def check_vocab(candidate: Any, reference: Any) -> None:
    """Raise ``FillMaskError`` when both models declare a logits width and the widths differ."""
    v_cand, v_ref = candidate.vocab_size, reference.vocab_size
    if v_cand is not None and v_ref is not None and v_cand != v_ref:
        raise FillMaskError(f"the candidate {_name(candidate)} has {v_cand} logits per token but the reference "
                            f"{_name(reference)} has {v_ref}; only models over the same vocabulary can be compared")


def shared_max_length(candidate: Any, reference: Any, tokenizer: Tokenizer,
                      max_length: int | None) -> tuple[int, str]:
    """The longest sequence both models accept, and which limit set it (for the report's settings)."""
    limits = {f"candidate {_name(candidate)}": candidate.max_length,
              f"reference {_name(reference)}": reference.max_length,
              "tokenizer model_max_length": tokenizer.model_max_length}
    limits = {k: int(v) for k, v in limits.items() if v}
    if max_length is not None:
        for who, limit in limits.items():
            if who != "tokenizer model_max_length" and int(max_length) > limit:
                raise FillMaskError(f"max_length={max_length!r} exceeds the {who}'s limit of {limit} tokens; both "
                                    f"models must accept the same batches: pass max_length <= {limit}")
        return int(max_length), "max_length argument"
    if not limits:
        return 512, "default (no model or tokenizer limit known)"
    who = min(limits, key=limits.get)
    return limits[who], who
