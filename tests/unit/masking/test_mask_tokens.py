"""mask_tokens: the HF collator's contract, checked by hand-derived properties (golden tests check bit-identity)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm

MASK, VOCAB = 3, 50


def _batch(rng_seed: int = 0, shape=(4, 12)):
    rng = np.random.default_rng(rng_seed)
    ids = rng.integers(5, VOCAB, size=shape)
    special = np.zeros(shape, dtype=np.int64)
    special[:, 0] = special[:, -1] = 1
    special[0, 8:] = 1  # padding of a short row
    return ids, special


def _mask(ids, special, seed=0, **kw):
    return fm.mask_tokens(ids, special_tokens_mask=special, mask_token_id=MASK, vocab_size=VOCAB,
                          rng=np.random.default_rng(seed), **kw)


def test_callers_arrays_are_not_modified():
    ids, special = _batch()
    ids_before, special_before = ids.copy(), special.copy()
    _mask(ids, special, mlm_probability=0.9)
    np.testing.assert_array_equal(ids, ids_before)
    np.testing.assert_array_equal(special, special_before)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 1.0))
def test_labels_are_original_ids_where_selected_and_ignored_elsewhere(seed, p):
    ids, special = _batch(seed % 7)
    masked, labels = _mask(ids, special, seed=seed, mlm_probability=p)
    selected = labels != -100
    np.testing.assert_array_equal(labels[selected], ids[selected])
    assert not selected[special == 1].any()
    np.testing.assert_array_equal(masked[~selected], ids[~selected])  # unselected tokens never change


def test_everything_maskable_becomes_mask_at_probability_one():
    ids, special = _batch()
    masked, labels = _mask(ids, special, mlm_probability=1.0, mask_replace_prob=1.0, random_replace_prob=0.0)
    assert (masked[special == 0] == MASK).all()
    assert (labels[special == 0] == ids[special == 0]).all()


def test_mask_replace_prob_one_consumes_no_random_draws():
    ids, special = _batch()
    rng = np.random.default_rng(5)
    fm.mask_tokens(ids, special_tokens_mask=special, mask_token_id=MASK, vocab_size=VOCAB, rng=rng,
                   mask_replace_prob=1.0, random_replace_prob=0.0)
    reference = np.random.default_rng(5)
    reference.binomial(1, np.where(special == 1, 0.0, 0.15), size=ids.shape)  # selection draw
    reference.binomial(1, 1.0, size=ids.shape)  # [MASK] draw over every position; nothing after it
    assert rng.integers(0, 2**62) == reference.integers(0, 2**62)


def test_random_replacements_only_ever_touch_selected_unmasked_tokens():
    ids, special = _batch(shape=(8, 64))
    masked, labels = _mask(ids, special, mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=1.0)
    selected = labels != -100
    assert not (masked[selected] == MASK).all()  # random ids, not the mask id
    assert ((masked[selected] >= 0) & (masked[selected] < VOCAB)).all()


@pytest.mark.parametrize("mask_p, random_p", [(0.9, 0.1), (0.7, 0.3)])
def test_shares_summing_to_one_keep_no_selected_token(mask_p, random_p):
    # 0.1 / (1 - 0.9) rounds to 1.0000000000000002, where HF's collator raises numpy's ValueError; keep share 0
    ids, special = _batch(shape=(8, 64))
    ids = np.where(special == 1, ids, VOCAB + 7)  # an id no random draw from [0, VOCAB) can give back
    masked, labels = fm.mask_tokens(ids, special_tokens_mask=special, mask_token_id=MASK, vocab_size=VOCAB,
                                    rng=np.random.default_rng(0), mlm_probability=0.5, mask_replace_prob=mask_p,
                                    random_replace_prob=random_p)
    selected = labels != -100
    assert selected.sum() > 100
    assert not (masked[selected] == VOCAB + 7).any()


def test_the_same_generator_state_gives_the_same_masks():
    ids, special = _batch()
    a = _mask(ids, special, seed=11)
    b = _mask(ids, special, seed=11)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_sample_rng_is_default_rng_of_seed_and_index():
    assert fm.sample_rng(7, 3).integers(0, 2**62) == np.random.default_rng([7, 3]).integers(0, 2**62)
    assert fm.sample_rng(7, 3).integers(0, 2**62) != fm.sample_rng(7, 4).integers(0, 2**62)


@pytest.mark.parametrize("kwargs, message", [
    (dict(mlm_probability=0.0), r"mlm_probability=0.0 must be in \(0, 1\]"),
    (dict(mlm_probability=1.5), r"mlm_probability=1.5"),
    (dict(mask_replace_prob=-0.1), r"mask_replace_prob=-0.1"),
    (dict(mask_replace_prob=0.8, random_replace_prob=0.3), r"exceeds 1"),
])
def test_invalid_probabilities_raise(kwargs, message):
    ids, special = _batch()
    with pytest.raises(fm.MaskingError, match=message):
        _mask(ids, special, **kwargs)


def test_a_global_seed_is_refused():
    ids, special = _batch()
    with pytest.raises(fm.MaskingError, match="numpy.random.Generator"):
        fm.mask_tokens(ids, special_tokens_mask=special, mask_token_id=MASK, vocab_size=VOCAB, rng=42)


def test_shape_mismatch_raises():
    ids, special = _batch()
    with pytest.raises(fm.MaskingError, match="same 2-D"):
        _mask(ids[0], special[0])


def _words_batch():
    """[CLS] play ##ing cat . a ##b [SEP] [PAD]: words by character spans (a "." glued to "cat" joins it)."""
    ids = np.array([[1, 10, 11, 12, 13, 14, 15, 2, 0]])
    special = np.array([[1, 0, 0, 0, 0, 0, 0, 1, 1]])
    offsets = np.array([[[0, 0], [0, 4], [4, 7], [8, 11], [11, 12], [13, 14], [14, 15], [0, 0], [0, 0]]])
    words = [[1, 2], [3, 4], [5, 6]]  # token positions of each word
    return ids, special, offsets, words


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.05, 1.0))
def test_whole_word_masking_selects_whole_words_only(seed, p):
    ids, special, offsets, words = _words_batch()
    masked, labels = _mask(ids, special, seed, mlm_probability=p, mask_replace_prob=1.0, random_replace_prob=0.0,
                           whole_word=True, offsets=offsets)
    selected = labels[0] != -100
    for word in words:
        assert selected[word].all() or not selected[word].any()
    assert not selected[special[0] == 1].any()
    np.testing.assert_array_equal(masked[0][selected], MASK)
    np.testing.assert_array_equal(masked[0][~selected], ids[0][~selected])


def test_whole_word_masking_draws_only_for_word_initial_tokens():
    ids, special, offsets, words = _words_batch()
    p = 0.5
    for seed in range(20):
        _, labels = _mask(ids, special, seed, mlm_probability=p, mask_replace_prob=1.0, random_replace_prob=0.0,
                          whole_word=True, offsets=offsets)
        probability = np.zeros(ids.shape)
        probability[0, [w[0] for w in words]] = p  # one Bernoulli per word, at its first token
        drawn = np.random.default_rng(seed).binomial(1, probability).astype(bool)[0]
        expected = np.zeros(ids.shape[1], dtype=bool)
        for word in words:
            expected[word] = drawn[word[0]]
        np.testing.assert_array_equal(labels[0] != -100, expected)


@pytest.mark.parametrize("kwargs, message", [
    (dict(offsets=None), "needs the tokens' character offsets"),
    (dict(mask_replace_prob=0.8, random_replace_prob=0.1), "pass mask_replace_prob=1.0, not 0.8"),
    (dict(offsets=np.zeros((1, 9))), r"offsets shape \(1, 9\) must be"),
])
def test_whole_word_masking_refuses_what_hf_would_not_do(kwargs, message):
    ids, special, offsets, _ = _words_batch()
    args = {**dict(mask_replace_prob=1.0, random_replace_prob=0.0, whole_word=True, offsets=offsets), **kwargs}
    with pytest.raises(fm.MaskingError, match=message):
        _mask(ids, special, **args)
