"""Batch-invariant execution: every sequence of a batch runs on its own, at its true length, with BLAS on one
thread, so the arithmetic a sequence sees (every matrix product's shape and operands, every reduction's
order) is fixed by the sequence alone, never by the other sequences, the batch's padded length, its order or
the thread count.

Why not one product over the whole batch: OpenBLAS's result for a row depends on how many rows the call has,
on the row's place among them and on the thread count (measured: [M, 768] @ [768, 3072] differs in the last
bits between M = 64 and M = 128, between a row's place 0 and 8 of a 64-row call, and between 1 and 2
threads); only a call with the same shape and operands is bit-identical. The sequences run in parallel
instead, one per worker thread (NumPy's BLAS and ufunc loops release the GIL), so the cores stay busy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable

import numpy as np

from ..session import cpu_count

__all__ = ["real_lengths", "each_sequence"]


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


def each_sequence(run: Callable[[int], None], rows: Iterable[int], *, workers: int | None = None) -> None:
    """Call ``run(b)`` for every batch row ``b`` in ``rows``, in parallel, with BLAS held to one thread.

    Args:
        run: computes and stores one sequence's result; it must touch nothing another row's call touches.
        rows: the batch rows to run.
        workers: threads running sequences at once (default: the CPUs this process may use); the results
            do not depend on it.
    """
    todo = [int(b) for b in rows]
    count = min(len(todo), workers or cpu_count())
    with _controller().limit(limits=1, user_api="blas"):
        if count <= 1:
            for b in todo:
                run(b)
            return
        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(run, b) for b in todo]:
                future.result()
