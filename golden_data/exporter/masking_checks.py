"""d. Checks that a golden case really exercises the masking option it is named for."""

from __future__ import annotations

from typing import Any

import numpy as np
from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerFast

from .specs import IGNORE_INDEX, CaseSpec, ExportError


def _check_whole_words(case: CaseSpec, arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """Every word is masked entirely or not at all, and at least one multi-token word is masked."""
    word_ids, _ = DataCollatorForLanguageModeling._calc_word_ids_and_prob_mask(
        arrays["offset_mapping"], arrays["special_tokens_mask"]
    )
    selected = arrays["labels"] != IGNORE_INDEX
    multi = 0
    for row_words, row_selected in zip(word_ids, selected):
        for word in np.unique(row_words[row_words != -1]):
            tokens = row_selected[row_words == word]
            if tokens.any() and not tokens.all():
                raise ExportError(f"{case.name}: word {word} is only partly masked")
            multi += int(tokens.all() and len(tokens) > 1)
    if multi == 0:
        raise ExportError(f"{case.name}: no multi-token word was masked; pick other texts or another seed")
    return {"n_multi_token_words_masked": multi}


def _in_text_specials(tok: PreTrainedTokenizerFast, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """[B, L] True on special ids that the tokenizer's template did not add (an [UNK], a typed [MASK])."""
    special_ids = np.asarray(tok.all_special_ids)
    return np.isin(arrays["input_ids"], special_ids) & (arrays["special_tokens_mask"] == 0)


def check_masking_semantics(
    case: CaseSpec, tok: PreTrainedTokenizerFast, arrays: dict[str, np.ndarray], counts: dict[str, int]
) -> dict[str, Any]:
    """Abort unless the case shows what its options promise; return the evidence for the manifest."""
    evidence: dict[str, Any] = {}
    selected = arrays["labels"] != IGNORE_INDEX
    if case.whole_word:
        evidence.update(_check_whole_words(case, arrays))
    if case.mask_replace_prob == 1.0 and counts["n_mask_token"] != counts["n_masked"]:
        raise ExportError(f"{case.name}: mask_replace_prob=1 but not every selected token is the mask: {counts}")
    if case.random_replace_prob == 0.0 and counts["n_random_replaced"] != 0:
        raise ExportError(f"{case.name}: random_replace_prob=0 but tokens were randomly replaced: {counts}")
    in_text = _in_text_specials(tok, arrays)
    if case.require_in_text_specials and not in_text.any():
        raise ExportError(f"{case.name}: the texts hold no in-text special token ([UNK], typed [MASK])")
    if case.special_tokens == "all_special_ids":
        if np.any(selected & (arrays["all_special_ids_mask"] == 1)):
            raise ExportError(f"{case.name}: a special id was selected under the all_special_ids policy")
    elif case.require_in_text_specials and not np.any(selected & in_text):
        raise ExportError(f"{case.name}: no in-text special token was selected; use another seed")
    if case.require_in_text_specials:
        evidence["n_in_text_special_tokens"] = int(in_text.sum())
        evidence["n_in_text_special_selected"] = int((selected & in_text).sum())
    return evidence
