"""Batch-invariant execution: every sequence of a batch runs on its own, at its true length, with BLAS on one
thread, so the arithmetic a sequence sees (every matrix product's shape and operands, every reduction's
order) is fixed by the sequence alone, never by the other sequences, the batch's padded length, its order or
the thread count.

Why not one product over the whole batch: OpenBLAS's result for a row depends on how many rows the call has,
on the row's place among them and on the thread count (measured: [M, 768] @ [768, 3072] differs in the last
bits between M = 64 and M = 128, between a row's place 0 and 8 of a 64-row call, and between 1 and 2
threads); only a call with the same shape and operands is bit-identical. The sequences run in parallel
instead, one per worker thread (NumPy's BLAS and ufunc loops release the GIL), so the cores stay busy.

Sequences of one length run together as a [G, L, ...] group (``same_length``) to save NumPy calls: every matrix
product of a group is a loop of one product per sequence (``Linear`` loops explicitly; ``np.matmul`` on stacked
[G, h, L, d] operands calls BLAS once per slice), and every other operation is elementwise or row-wise, so a
sequence's arithmetic is the same as alone whatever its group.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, TypeVar

import numpy as np

from ..session import cpu_count

__all__ = ["real_lengths", "each_sequence", "same_length", "by_sequence"]

T = TypeVar("T")
_GROUP_TOKENS = 1024  # a group's G * L at most (its [G, h, L, L] attention scores stay small: 25 MB at L = 512)


def real_lengths(mask: np.ndarray) -> np.ndarray:
    """[B, L] 1/0 attention mask -> [B] int: one past each row's last real token (at least 1).

    Padding after the last real token changes nothing a real token computes (its keys get no weight), so a
    sequence runs on ``[:length]``; padding before or between real tokens stays, masked as before.
    """
    real = np.asarray(mask) != 0  # [B, L]
    last = real.shape[1] - np.argmax(real[:, ::-1], axis=1)  # [B]; an all-padding row gives L
    return np.where(real.any(axis=1), last, 1).astype(np.intp)


@lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's view of the BLAS libraries this process loaded (found once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def same_length(ends: dict[int, int], *, workers: int | None = None) -> list[np.ndarray]:
    """The batch rows ``ends`` keys grouped by their length (the value), each group cut into pieces of at most
    ``ceil(rows / workers)`` rows and ``_GROUP_TOKENS`` tokens, so that every worker gets a piece: [G] row arrays.

    >>> [g.tolist() for g in same_length({0: 5, 1: 7, 2: 5, 3: 5}, workers=2)]
    [[0, 2], [3], [1]]
    """
    size = max(1, -(-len(ends) // (workers or cpu_count())))
    pieces = []
    for end in sorted(set(ends.values())):
        rows = np.array(sorted(b for b, e in ends.items() if e == end), dtype=np.intp)
        step = max(1, min(size, _GROUP_TOKENS // max(1, end)))
        pieces += [rows[start: start + step] for start in range(0, len(rows), step)]
    return pieces


def each_sequence(run: Callable[[T], None], items: Iterable[T], *, workers: int | None = None) -> None:
    """Call ``run(item)`` for every item (a batch row, a group of rows, a vocabulary chunk), in parallel, with
    BLAS held to one thread.

    Args:
        run: computes and stores one item's result; it must touch nothing another item's call touches.
        items: the work.
        workers: threads running at once (default: the CPUs this process may use); the results do not depend
            on it.
    """
    todo = list(items)
    count = min(len(todo), workers or cpu_count())
    with _controller().limit(limits=1, user_api="blas"):
        if count <= 1:
            for item in todo:
                run(item)
            return
        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(run, item) for item in todo]:
                future.result()


def by_sequence(batch: np.ndarray, out: np.ndarray, one: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
    """Fill ``out`` a sequence at a time: for each batch row ``b`` in ``batch``, ``out[mine] = one(b, mine)``, where
    ``mine`` are the indices of ``b``'s entries in ``batch`` (a product over the rows of several sequences would
    make a row's bits depend on the others); returns ``out``.

    Args:
        batch: [M] the batch row of each output row.
        out: [M, ...] the array to fill.
        one: one sequence's rows, from its batch row and the indices of its entries.

    >>> by_sequence(np.array([1, 0, 1]), np.zeros(3), lambda b, mine: mine * 10 + b).tolist()
    [1.0, 10.0, 21.0]
    """
    for b in np.unique(batch):
        mine = np.flatnonzero(batch == b)
        out[mine] = one(int(b), mine)
    return out
