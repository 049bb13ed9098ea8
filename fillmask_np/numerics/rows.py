"""Per-row scores of gathered logits: NLL (float64), rank and argmax of each target, chunked and threaded.

Rows are scored in chunks of ``CHUNK_ROWS`` into reused work buffers (never an [M, V] copy), and many
rows are split into one block per CPU and scored in threads (NumPy releases the GIL); every row goes
through the same operations either way, so the results are bit-identical whatever the split.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .softmax import as_float, check_finite

__all__ = ["CHUNK_ROWS", "row_nll_and_rank", "row_nll_rank_top", "row_scores"]

_PARALLEL_MIN_ROWS = 32  # rows per thread at least: below, a thread hand-off costs more than it saves
_MAX_WORKERS = 8
CHUNK_ROWS = 16  # rows per pass: 16 x 30k float32 temporaries (2 MiB) stay in cache; 256 rows were 2x slower


def row_nll_and_rank(rows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negative log-likelihood (float64) and rank of each target in its row.

    The rank is the number of vocabulary entries scored strictly higher than the target, so rank 0
    is a top-1 hit and rank < k a top-k hit. Works in chunks of rows; never copies more than a chunk.

    Args:
        rows: [M, V] float logits (already gathered).
        targets: [M] int target ids, each in [0, V).
    Returns:
        ([M] float64 NLL, [M] int64 rank).
    """
    nll, rank, _ = row_scores(rows, targets, top=False)
    return nll, rank


def row_nll_rank_top(rows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As ``row_nll_and_rank``, plus [M] int64 argmax of each row (the top prediction; first of ties).

    The row maximum is read at the argmax, so the NLL and rank are bit-identical to ``row_nll_and_rank``'s.
    """
    nll, rank, top = row_scores(rows, targets, top=True)
    assert top is not None  # row_scores(top=True) returns the argmax
    return nll, rank, top


def _workers() -> int:
    """CPUs this process may use (NumPy's ufuncs release the GIL, so threads run them in parallel)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, _MAX_WORKERS))


@functools.lru_cache(maxsize=None)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fillmask_np-loss")


def row_scores(rows: np.ndarray, targets: np.ndarray, *, top: bool, index: np.ndarray | None = None,
                ranks: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """NLL, rank (zeros when ``ranks`` is False) and optional argmax of rows ``index`` of ``rows`` (all rows
    when None); the scored rows are picked chunk by chunk, never copied all at once.

    Rows are independent, so many rows are split into one block per CPU, scored in threads (the model is idle
    meanwhile); every row goes through the same operations either way, so the results are bit-identical.
    """
    m_rows, workers = len(targets), _workers()
    if workers < 2 or m_rows < 2 * _PARALLEL_MIN_ROWS:
        return _row_scores_serial(rows, targets, top=top, index=index, ranks=ranks)
    n = min(workers, m_rows // _PARALLEL_MIN_ROWS)
    bounds = np.linspace(0, m_rows, n + 1).astype(np.int64)

    def block(span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        s, e = span
        if index is None:
            return _row_scores_serial(rows[s:e], targets[s:e], top=top, index=None, ranks=ranks)
        return _row_scores_serial(rows, targets[s:e], top=top, index=index[s:e], ranks=ranks)

    parts = list(_pool(workers).map(block, zip(bounds[:-1].tolist(), bounds[1:].tolist())))
    best = np.concatenate([p[2] for p in parts]) if top else None
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), best


def _row_scores_serial(rows: np.ndarray, targets: np.ndarray, *, top: bool, index: np.ndarray | None,
                       ranks: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    m_rows = len(targets)
    vocab = rows.shape[-1]
    nll = np.empty(m_rows, dtype=np.float64)
    rank = np.zeros(m_rows, dtype=np.int64)
    best = np.empty(m_rows, dtype=np.int64) if top else None
    # work buffers reused by every chunk: a fresh 2 MiB temporary per chunk is a fresh mmap and its page
    # faults (glibc returns big blocks to the OS), which cost more than the arithmetic
    size = min(CHUNK_ROWS, m_rows)
    work = np.empty((size, vocab), dtype=np.float64 if rows.dtype == np.float64 else np.float32)
    higher = np.empty(work.shape, dtype=bool) if ranks else None
    picked = np.empty((size, vocab), dtype=rows.dtype) if index is not None else None
    for start in range(0, m_rows, CHUNK_ROWS):
        tgt = targets[start : start + CHUNK_ROWS]  # [m]
        m = len(tgt)
        if picked is None or index is None:  # both set or both None
            chunk = as_float(rows[start : start + m])  # [m, V]
        else:
            chunk = as_float(np.take(rows, index[start : start + m], axis=0, out=picked[:m]))  # [m, V]
        if best is None:
            mx = np.max(chunk, axis=1, keepdims=True)  # [m, 1]
        else:  # argmax costs about what max does; the max is read at it
            arg = np.argmax(chunk, axis=1)  # [m]
            best[start : start + m] = arg
            mx = np.take_along_axis(chunk, arg[:, None], axis=1)  # [m, 1]
        # NaN or +inf shows in the max (NaN propagates), -inf in the min: one cheap reduction, no mask array
        if not (np.isfinite(mx).all() and np.isfinite(np.min(chunk, axis=1)).all()):
            check_finite(chunk, what="logits at the scored positions")
        shifted = np.subtract(chunk, mx, out=work[:m])  # [m, V]
        sums = np.sum(np.exp(shifted, out=shifted), axis=1, dtype=np.float64)  # [m, V] -> [m]
        target_logit = np.take_along_axis(chunk, tgt[:, None], axis=1)  # [m, 1]
        # nll = lse - x_t = log(sum) - (x_t - max)
        nll[start : start + m] = np.log(sums) - (target_logit[:, 0] - mx[:, 0]).astype(np.float64)
        if higher is not None:
            rank[start : start + m] = np.count_nonzero(np.greater(chunk, target_logit, out=higher[:m]), axis=1)
    return nll, rank, best
