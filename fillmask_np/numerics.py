"""Numerically stable log-softmax and cross-entropy in NumPy, with float64 accumulation.

``log_softmax(x) = (x - max) - log(sum(exp(x - max)))``: never ``log(softmax)``, never ``+ eps``.
``cross_entropy`` follows ``torch.nn.functional.cross_entropy`` (ignore_index, reductions, mean over
the non-ignored targets) but gathers the scored rows first, so ignored positions cost nothing.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np

from .errors import NumericsError

__all__ = ["logsumexp", "log_softmax", "cross_entropy", "check_finite"]

_PARALLEL_MIN_ROWS = 32  # rows per thread at least: below, a thread hand-off costs more than it saves
_MAX_WORKERS = 8
_CHUNK_ROWS = 16  # rows per pass: 16 x 30k float32 temporaries (2 MiB) stay in cache; 256 rows were 2x slower


def check_finite(x: np.ndarray, *, what: str = "logits") -> None:
    """Raise ``NumericsError`` counting the NaN and inf values of ``x``, if there are any.

    Args:
        x: any float array.
        what: how the message names ``x``.

    >>> check_finite(np.zeros(3))
    """
    if np.isfinite(x).all():
        return
    n_nan = int(np.isnan(x).sum())
    n_inf = int(np.isinf(x).sum())
    raise NumericsError(
        f"{what} contain {n_nan} NaN and {n_inf} inf values out of {x.size}: the model produced "
        f"non-finite scores; check the ONNX export (float16 overflow, a broken graph) or the inputs"
    )


def _as_float(x: np.ndarray) -> np.ndarray:
    """float16/bfloat16-ish and integer inputs are computed in float32; float32/64 are kept."""
    x = np.asarray(x)
    if x.dtype == np.float64 or x.dtype == np.float32:
        return x
    return x.astype(np.float32)


def logsumexp(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Stable ``log(sum(exp(x)))`` along ``axis``, summed in float64; returns float64.

    Args:
        x: float array, must be finite.
        axis: the axis to reduce.
    Returns:
        float64 array with ``axis`` removed.

    >>> float(logsumexp(np.array([0.0, 0.0])))  # log 2
    0.6931471805599453
    """
    x = _as_float(x)
    check_finite(x, what="logsumexp input")
    m = np.max(x, axis=axis, keepdims=True)
    s = np.sum(np.exp(x - m), axis=axis, dtype=np.float64, keepdims=True)
    return np.squeeze(m.astype(np.float64) + np.log(s), axis=axis)


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Stable log-softmax ``(x - max) - log(sum(exp(x - max)))`` along ``axis``.

    The sum is accumulated in float64; the result has the input's float dtype (float32 for
    float16 or integer input, float64 for float64 input).

    Args:
        x: float array, must be finite.
        axis: the axis to normalise.
    Returns:
        array of ``x``'s shape.

    >>> np.round(np.exp(log_softmax(np.array([1.0, 1.0]))), 3).tolist()
    [0.5, 0.5]
    """
    x = _as_float(x)
    check_finite(x, what="log_softmax input")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=axis, dtype=np.float64, keepdims=True))
    return (shifted - lse).astype(x.dtype)


def _row_nll_and_rank(rows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negative log-likelihood (float64) and rank of each target in its row.

    The rank is the number of vocabulary entries scored strictly higher than the target, so rank 0
    is a top-1 hit and rank < k a top-k hit. Works in chunks of rows; never copies more than a chunk.

    Args:
        rows: [M, V] float logits (already gathered).
        targets: [M] int target ids, each in [0, V).
    Returns:
        ([M] float64 NLL, [M] int64 rank).
    """
    nll, rank, _ = _row_scores(rows, targets, top=False)
    return nll, rank


def _row_nll_rank_top(rows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As ``_row_nll_and_rank``, plus [M] int64 argmax of each row (the top prediction; first of ties).

    The row maximum is read at the argmax, so the NLL and rank are bit-identical to ``_row_nll_and_rank``'s.
    """
    nll, rank, top = _row_scores(rows, targets, top=True)
    return nll, rank, top  # type: ignore[return-value]


def _workers() -> int:
    """CPUs this process may use (NumPy's ufuncs release the GIL, so threads run them in parallel)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, _MAX_WORKERS))


@functools.lru_cache(maxsize=None)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fillmask_np-loss")


def _row_scores(rows: np.ndarray, targets: np.ndarray, *, top: bool, index: np.ndarray | None = None,
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
    best = np.concatenate([p[2] for p in parts]) if top else None  # type: ignore[misc]
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
    size = min(_CHUNK_ROWS, m_rows)
    work = np.empty((size, vocab), dtype=np.float64 if rows.dtype == np.float64 else np.float32)
    higher = np.empty(work.shape, dtype=bool) if ranks else None
    picked = np.empty((size, vocab), dtype=rows.dtype) if index is not None else None
    for start in range(0, m_rows, _CHUNK_ROWS):
        tgt = targets[start : start + _CHUNK_ROWS]  # [m]
        m = len(tgt)
        if picked is None:
            chunk = _as_float(rows[start : start + m])  # [m, V]
        else:
            chunk = _as_float(np.take(rows, index[start : start + m], axis=0, out=picked[:m]))  # [m, V]
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


def cross_entropy(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    ignore_index: int = -100,
    reduction: Literal["mean", "sum", "none"] = "mean",
) -> np.ndarray | float:
    """Cross-entropy of ``logits`` against integer ``labels``, as ``torch.nn.functional.cross_entropy``.

    Only the rows whose label is not ``ignore_index`` are log-softmaxed (gathered first).

    Args:
        logits: [..., V] float scores (``labels.shape + (V,)``), e.g. [B, L, V] or [N, V].
        labels: [...] integer targets in [0, V), or ``ignore_index``.
        ignore_index: label value that contributes nothing (torch's default -100).
        reduction: "mean" (over non-ignored targets; NaN when there are none, as torch),
            "sum", or "none" (per-position losses of ``labels.shape``, 0 where ignored).
    Returns:
        a Python float for "mean"/"sum", a float64 array for "none".

    >>> cross_entropy(np.zeros((2, 4)), np.array([1, -100]))  # log 4
    1.3862943611198906
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if reduction not in ("mean", "sum", "none"):
        raise NumericsError(f"reduction={reduction!r} is not one of 'mean', 'sum', 'none'")
    if not np.issubdtype(labels.dtype, np.integer):
        raise NumericsError(f"labels must be integers, got dtype {labels.dtype}; cast them with .astype(np.int64)")
    if logits.ndim < 1 or logits.shape[:-1] != labels.shape:
        raise NumericsError(
            f"logits shape {logits.shape} does not fit labels shape {labels.shape}: "
            f"logits must be labels.shape + (vocab_size,)"
        )
    vocab = logits.shape[-1]
    flat_logits = logits.reshape(-1, vocab)  # [..., V] -> [N, V] (a view when contiguous)
    flat_labels = labels.reshape(-1)  # [N]
    keep = flat_labels != ignore_index
    targets = flat_labels[keep]
    bad = (targets < 0) | (targets >= vocab)
    if bad.any():
        raise NumericsError(
            f"{int(bad.sum())} labels are outside [0, {vocab}) (first: {int(targets[bad][0])}); "
            f"labels must be token ids below the vocabulary size or ignore_index={ignore_index}"
        )
    index = None if len(targets) == len(flat_labels) else np.flatnonzero(keep)  # all kept: read rows in place
    nll, _, _ = _row_scores(flat_logits, targets, top=False, index=index, ranks=False)  # [M]
    if reduction == "none":
        out = np.zeros(flat_labels.shape, dtype=np.float64)
        out[keep] = nll
        return out.reshape(labels.shape)
    total = float(np.sum(nll, dtype=np.float64))
    if reduction == "sum":
        return total
    return total / len(nll) if len(nll) else float("nan")
