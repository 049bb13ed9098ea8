"""fill_mask: output shape and errors (tests/test_architectures.py checks its top-k against torch)."""

from __future__ import annotations

import pytest

import fillmask_np as fm


def test_fill_mask_fills_the_sequence(bert_model, bert_tok):
    best = fm.fill_mask(bert_model, bert_tok, "the cat [MASK] on the mat.", top_k=1)[0]
    assert best["sequence"] == f"the cat {best['token_str']} on the mat."


def test_several_masks_give_one_list_each(bert_model, bert_tok):
    result = fm.fill_mask(bert_model, bert_tok, "the [MASK] sat on the [MASK].", top_k=2)
    assert len(result) == 2 and all(len(candidates) == 2 for candidates in result)


def test_text_without_a_mask_is_refused(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match=r"no mask token '\[MASK\]'"):
        fm.fill_mask(bert_model, bert_tok, "no mask here")
