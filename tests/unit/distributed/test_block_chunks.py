"""How the streaming driver cuts a verb's items into blocks (``distributed.runs.chunks``): every item once, in
order; full blocks until the end; the end cut finer and finer, by the items alone, so that a pool of workers
finishes together and a run's blocks are the same every run."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fillmask_np.distributed.runs import chunks

sizes = st.integers(min_value=1, max_value=40)
tails = st.integers(min_value=1, max_value=8)
counts = st.integers(min_value=0, max_value=600)


@given(counts, sizes, tails)
def test_the_blocks_hold_every_item_once_in_order(n, size, tail):
    blocks = list(chunks(range(n), size, tail=tail))
    assert [x for b in blocks for x in b] == list(range(n))
    assert all(1 <= len(b) <= size for b in blocks)


@given(counts, sizes, tails)
def test_only_the_last_tail_blocks_worth_of_items_is_cut_finer(n, size, tail):
    lengths = [len(b) for b in chunks(range(n), size, tail=tail)]
    full = max(0, (n - tail * size) // size)  # blocks sent before the chunker holds the last r < (tail+1) size
    assert lengths[:full] == [size] * full
    assert sum(lengths[full:]) == n - full * size


@given(counts, sizes, tails)
def test_the_end_shrinks_to_single_items(n, size, tail):
    lengths = [len(b) for b in chunks(range(n), size, tail=tail)]
    full = max(0, (n - tail * size) // size)
    end = lengths[full:]
    assert end == sorted(end, reverse=True)  # never a larger block after a smaller one
    if end:
        assert end[-1] == 1


def test_the_end_of_300_samples_in_blocks_of_10_over_2_workers():
    # r = 20 items held at the end: ceil(20/4) = 5, ceil(15/4) = 4, ceil(11/4) = 3, ceil(8/4) = 2, ceil(6/4) = 2, ...
    lengths = [len(b) for b in chunks(range(300), 10, tail=2)]
    assert lengths == [10] * 28 + [5, 4, 3, 2, 2, 1, 1, 1, 1]


def test_without_a_tail_the_last_block_is_just_shorter():
    assert [len(b) for b in chunks(range(25), 10)] == [10, 10, 5]


def test_the_chunker_reads_at_most_tail_plus_one_blocks_ahead():
    read: list[int] = []

    def source():
        for k in range(1000):
            read.append(k)
            yield k

    blocks = chunks(source(), 10, tail=3)
    first = next(blocks)
    assert first == list(range(10)) and len(read) == 40  # (3 + 1) blocks of 10 read for the first
    next(blocks)
    assert len(read) == 50
