"""fill_mask: the top-k fillers and probabilities torch gives for the bundled BERT."""

from __future__ import annotations

import pytest

import fillmask_np as fm

from conftest import load_manifest

DEMOS = load_manifest()["models"]["bert"]["demo_predictions"]


@pytest.mark.parametrize("prompt", sorted(DEMOS))
def test_fill_mask_matches_torch_top_k_tokens_and_probabilities(bert_model, bert_tok, prompt):
    torch_top = DEMOS[prompt]
    ours = fm.fill_mask(bert_model, bert_tok, prompt, top_k=len(torch_top))
    assert [c["token"] for c in ours] == [token_id for _, token_id, _ in torch_top]
    assert [c["score"] for c in ours] == pytest.approx([p for _, _, p in torch_top], abs=1e-5)


def test_fill_mask_fills_the_sequence(bert_model, bert_tok):
    best = fm.fill_mask(bert_model, bert_tok, "the cat [MASK] on the mat.", top_k=1)[0]
    assert best["sequence"] == f"the cat {best['token_str']} on the mat."


def test_several_masks_give_one_list_each(bert_model, bert_tok):
    result = fm.fill_mask(bert_model, bert_tok, "the [MASK] sat on the [MASK].", top_k=2)
    assert len(result) == 2 and all(len(candidates) == 2 for candidates in result)


def test_text_without_a_mask_is_refused(bert_model, bert_tok):
    with pytest.raises(fm.FillMaskError, match=r"no mask token '\[MASK\]'"):
        fm.fill_mask(bert_model, bert_tok, "no mask here")
