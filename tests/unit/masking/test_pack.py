"""The masked copies that pseudo-log-likelihood scores: which tokens each copy masks, and how copies are packed
into batches within a token budget."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fillmask_np.masking import Sample, pack
from fillmask_np.masking.copies import mask_matrix


def test_mask_matrix_original_masks_exactly_the_target():
    masked = mask_matrix(np.array([1, 2, 3]), 5, None)
    np.testing.assert_array_equal(masked, np.eye(5, dtype=bool)[[1, 2, 3]])


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(3, 12), min_size=1, max_size=6), budget=st.integers(1, 60),
       l2r=st.booleans(), seed=st.integers(0, 2**16))
def test_pack_emits_every_copy_once_within_the_budget(lengths, budget, l2r, seed):
    rng = np.random.default_rng(seed)
    samples = []
    for index, length in enumerate(sorted(lengths)):
        ids = rng.integers(10, 50, size=length)
        words = np.sort(rng.integers(0, length, size=length)) if l2r else None
        if words is not None:
            words[[0, -1]] = -1
        samples.append(Sample(index, ids, np.zeros(length, dtype=np.int64), np.arange(1, length - 1), words))
    seen = []
    for batch in pack(samples, mask_token_id=1, pad_token_id=0, token_budget=budget):
        rows, width = batch.input_ids.shape
        assert rows == 1 or rows * width <= budget
        for r, (sample_index, position) in enumerate(zip(batch.samples, batch.positions[:, 1])):
            sample = samples[sample_index]
            length = len(sample.ids)
            expected = sample.ids.copy()
            expected[mask_matrix(np.array([position]), length, sample.words)[0]] = 1
            np.testing.assert_array_equal(batch.input_ids[r, :length], expected)
            assert batch.attention_mask[r].sum() == length and batch.labels[r] == sample.ids[position]
            seen.append((int(sample_index), int(position)))
    assert sorted(seen) == [(s.index, int(p)) for s in samples for p in s.targets]
