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
