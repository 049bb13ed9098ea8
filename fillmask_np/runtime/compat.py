"""What two compared models must share: a tokenizer mapping tokens to the same ids, the logits width,
and a sequence length both accept."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any


from ..errors import FillMaskError, FillMaskWarning, TokenizerError
from ..limits import is_int, option_label, option_name
from ..text import file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["check_same_tokenizer", "check_vocab", "shared_max_length", "check_tokenizer_fits"]

_LARGER_VOCAB = 1.25  # a model vocabulary this much larger than the tokenizer's (and by > 64 ids) is suspicious


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
                raise FillMaskError(f"{option_label('max_length', max_length)} exceeds the {who}'s limit of {limit} "
                                    f"tokens; both models must accept the same batches: pass "
                                    f"{option_name('max_length')} <= {limit}")
        return int(max_length), "max_length argument"
    if not limits:
        return 512, "default (no model or tokenizer limit known)"
    who = min(limits, key=limits.__getitem__)
    return limits[who], who


def check_tokenizer_fits(name: str, vocab_size: int | None, config: dict[str, Any], tokenizer: Tokenizer) -> None:
    """Refuse a tokenizer that cannot belong to a model; warn when it probably does not.

    Errors (``TokenizerError``): the model's logits are narrower than the tokenizer (or its mask id);
    config.json's ``pad_token_id`` or ``mask_token_id`` differ from the tokenizer's. Warnings
    (``FillMaskWarning``): config.json's ``bos_token_id`` / ``eos_token_id`` differ from the tokenizer's
    cls / sep ids; the model's vocabulary is much larger than the tokenizer's (a larger one by a few ids is
    usual: BERT pads to a multiple of 8).

    Args:
        name: how messages name the model.
        vocab_size: the width of the model's logits, or None when unknown.
        config: the model's config.json ({} when absent).
        tokenizer: the tokenizer to check.
    """
    fix = "pass the tokenizer saved with this model (--tokenizer)"
    mask_id = tokenizer.mask_token_id
    if vocab_size is not None and (vocab_size < len(tokenizer) or mask_id >= vocab_size):
        raise TokenizerError(f"model vocabulary has {vocab_size} entries but the tokenizer has {len(tokenizer)} "
                             f"(mask id {mask_id}): they do not belong together; {fix}")
    ours = {"pad_token_id": tokenizer.pad_token_id if tokenizer.has_token("pad") else None,
            "mask_token_id": mask_id, "bos_token_id": tokenizer.cls_token_id, "eos_token_id": tokenizer.sep_token_id}
    for key, mine in ours.items():
        theirs = config.get(key)
        if mine is None or not is_int(theirs) or theirs == mine:
            continue
        message = (f"model {name!r}: config.json says {key}={theirs} but tokenizer {tokenizer.source!r} has "
                   f"{mine}")
        if key in ("pad_token_id", "mask_token_id"):
            raise TokenizerError(f"{message}: they do not belong together; {fix}")
        warnings.warn(f"{message}; check that the tokenizer belongs to the model", FillMaskWarning, stacklevel=3)
    if vocab_size is not None and vocab_size > _LARGER_VOCAB * len(tokenizer) and vocab_size - len(tokenizer) > 64:
        warnings.warn(f"model {name!r} has {vocab_size} logits per token but tokenizer {tokenizer.source!r} only "
                      f"{len(tokenizer)} tokens: the tokenizer probably belongs to another model ({fix})",
                      FillMaskWarning, stacklevel=3)
