"""The NumPy BERT on the real splade-tiny checkpoint against the ONNX export of the same checkpoint
(../shared/real/splade-tiny: model.safetensors and model.onnx): logits on padded WikiText batches, the
cross-entropy of ``evaluate`` and the pseudo-log-likelihood. Skips when ../shared is absent."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import require_shared, wikitext_lines

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def splade():
    directory = require_shared("real", "splade-tiny")
    return fm.NumpyMaskedLM(directory), fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)


def test_numpy_logits_match_onnx_at_every_real_position_of_padded_batches(splade):
    numpy_lm, onnx_lm, tok = splade
    lines = wikitext_lines(16)
    worst = 0.0
    for start in range(0, len(lines), 8):
        batch = tok.encode_batch(lines[start: start + 8], max_length=128)
        assert (batch.attention_mask == 0).any()  # padded rows are part of the check
        ours = numpy_lm(batch.input_ids, batch.attention_mask, batch.token_type_ids)
        theirs = onnx_lm(batch.input_ids, batch.attention_mask, batch.token_type_ids)
        real = np.argwhere(batch.attention_mask == 1)
        worst = max(worst, float(np.abs(ours - theirs)[real[:, 0], real[:, 1]].max()))
    assert worst < 1e-4


@pytest.mark.slow
def test_evaluate_gives_the_onnx_cross_entropy(splade):
    numpy_lm, onnx_lm, tok = splade
    texts = wikitext_lines(40)
    ours, theirs = (fm.evaluate(m, tok, texts, seed=0, max_length=128) for m in (numpy_lm, onnx_lm))
    assert ours.n_masked == theirs.n_masked > 0
    assert ours.cross_entropy == pytest.approx(theirs.cross_entropy, rel=1e-6)


@pytest.mark.slow
def test_pseudo_log_likelihood_matches_onnx(splade):
    numpy_lm, onnx_lm, tok = splade
    texts = wikitext_lines(2)
    ours, theirs = (fm.pseudo_log_likelihood(m, tok, texts, max_length=48) for m in (numpy_lm, onnx_lm))
    assert ours.n_scored_tokens == theirs.n_scored_tokens
    assert ours.pseudo_perplexity == pytest.approx(theirs.pseudo_perplexity, rel=1e-5)
