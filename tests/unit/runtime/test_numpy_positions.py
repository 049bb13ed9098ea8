"""DeBERTa-v2's log-bucketed relative positions in NumPy, against values recorded from transformers 5.23's
``build_relative_position`` (which computes them in float32)."""

from __future__ import annotations

import numpy as np
import pytest

from fillmask_np.runtime.numpy_lm.deberta_attention import relative_positions

# bucket of distance d (query 0, key d) from torch: build_relative_position(..., bucket_size, max_position)[0, 0, d]
TORCH = {(256, 512): {1: -1, 127: -127, 128: -128, 129: -129, 200: -169, 300: -207, 511: -255, 512: -256,
                      1000: -317, 2047: -383},
         (32, 128): {1: -1, 15: -15, 16: -16, 17: -17, 20: -18, 40: -23, 64: -27, 100: -30, 126: -31, 127: -31,
                     128: -32, 500: -41, 2047: -52}}


@pytest.mark.parametrize("buckets, max_position", sorted(TORCH))
def test_log_buckets_match_torch(buckets, max_position):
    rel = relative_positions(2048, buckets, max_position)
    assert rel.dtype == np.int64 and rel.shape == (2048, 2048)
    assert {d: int(rel[0, d]) for d in TORCH[buckets, max_position]} == TORCH[buckets, max_position]
    np.testing.assert_array_equal(rel, -rel.T)  # odd: the bucket of -d is minus that of d
    np.testing.assert_array_equal(rel[5, 5:], rel[0, :-5])  # a function of i - j alone


def test_without_buckets_the_positions_are_plain_differences():
    np.testing.assert_array_equal(relative_positions(5, -1, 512), np.arange(5)[:, None] - np.arange(5)[None, :])
