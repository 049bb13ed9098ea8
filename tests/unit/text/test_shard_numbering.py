"""Shard numbering: sample k goes to shard k % n; empty samples are counted once, in one shard; the shards'
counts add up to the whole corpus's, ``limit`` included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fillmask_np.errors import FillMaskError
from fillmask_np.text import check_shard, non_empty


def _run(texts, limit, shard):
    counts = {"n_samples": 0, "n_empty": 0}
    out = list(non_empty(iter(enumerate(texts)), counts, limit, shard))
    return out, counts


@given(st.lists(st.sampled_from(["a", "b c", "", "  "]), max_size=40), st.integers(1, 6),
       st.one_of(st.none(), st.integers(1, 30)))
def test_shards_partition_the_samples_and_add_up_to_the_whole_counts(texts, n, limit):
    whole, whole_counts = _run(texts, limit, None)
    parts = [_run(texts, limit, (i, n)) for i in range(n)]
    assert sorted(s for out, _ in parts for s in out) == whole
    for i, (out, _) in enumerate(parts):
        assert all(index % n == i for index, _, _ in out)
    for key in whole_counts:
        assert sum(c[key] for _, c in parts) == whole_counts[key]


@pytest.mark.parametrize("given_, expected", [("0/1", (0, 1)), ("7/8", (7, 8)), ((2, 3), (2, 3)), ([0, 2], (0, 2))])
def test_a_shard_is_i_of_n(given_, expected):
    assert check_shard(given_) == expected


@pytest.mark.parametrize("bad", ["8/8", "-1/4", "1/0", "a/b", "3", "1/2/3", (1,), (1.0, 2), (True, 2)])
def test_a_shard_that_is_not_i_of_n_is_refused_with_an_example(bad):
    with pytest.raises(FillMaskError, match=r"must be i/n with 0 <= i < n"):
        check_shard(bad)
