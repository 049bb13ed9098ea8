"""What the charts plot, computed from per-token records (pure NumPy, unit-testable): loss by position in the
sequence, accuracy by how frequent the label is, calibration of the top-1 probability, and which samples to
show (the worst ones and a seeded draw of the rest)."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["Calibration", "by_position", "calibration", "frequency_buckets", "pick_samples"]


def by_position(positions: np.ndarray, losses: np.ndarray, *, max_buckets: int = 32) -> tuple[np.ndarray, ...]:
    """Mean loss by token position: ``(first position [K], last position [K], mean loss [K], count [K])``.

    Every position is its own bucket when there are at most ``max_buckets`` of them, else positions are grouped
    into ``max_buckets`` equal ranges; empty buckets are left out.

    >>> [a.tolist() for a in by_position(np.array([1, 1, 2]), np.array([1.0, 3.0, 5.0]))]
    [[1, 2], [1, 2], [2.0, 5.0], [2, 1]]
    """
    p, loss = np.asarray(positions, dtype=np.int64), np.asarray(losses, dtype=np.float64)  # [T]
    if len(p) == 0:
        return tuple(np.zeros(0) for _ in range(4))
    lo, hi = int(p.min()), int(p.max())
    width = max(1, -(-(hi - lo + 1) // max_buckets))  # positions per bucket
    bucket = (p - lo) // width  # [T]
    count = np.bincount(bucket)  # [K]
    total = np.bincount(bucket, weights=loss)
    used = np.flatnonzero(count)
    first = lo + used * width
    return first, np.minimum(first + width - 1, hi), total[used] / count[used], count[used]


def frequency_buckets(labels: np.ndarray, hits: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Top-1 accuracy by the frequency of the label id among the scored tokens, in powers of two.

    Args:
        labels: [T] label ids of the masked tokens.
        hits: [T] bool, the top-1 prediction was the label.
    Returns:
        ``(bucket names ["1", "2-3", "4-7", ...], accuracy [K], tokens [K])`` for the non-empty buckets.

    >>> frequency_buckets(np.array([5, 5, 7]), np.array([True, False, True]))
    (['1', '2-3'], array([1. , 0.5]), array([1, 2]))
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return [], np.zeros(0), np.zeros(0, dtype=np.int64)
    _, inverse, freq = np.unique(labels, return_inverse=True, return_counts=True)
    bucket = np.floor(np.log2(freq[inverse])).astype(np.int64)  # [T]: 1 -> 0, 2..3 -> 1, 4..7 -> 2, ...
    count = np.bincount(bucket)
    right = np.bincount(bucket, weights=np.asarray(hits, dtype=np.float64))
    used = np.flatnonzero(count)
    names = ["1" if b == 0 else f"{2 ** b}-{2 ** (b + 1) - 1}" for b in used.tolist()]
    return names, right[used] / count[used], count[used]


class Calibration(NamedTuple):
    """A reliability diagram's bins (``edges`` [K + 1], the rest [K]) and the expected calibration error."""

    edges: np.ndarray
    confidence: np.ndarray  # mean predicted probability of the top-1 token in the bin
    accuracy: np.ndarray  # share of those tokens whose top-1 token was the label
    counts: np.ndarray
    ece: float  # sum over bins of count / total * |accuracy - confidence|


def calibration(top_prob: np.ndarray, hits: np.ndarray, *, bins: int = 10) -> Calibration:
    """Bin the top-1 probabilities [T] into ``bins`` equal bins of [0, 1] and compare with the hits [T].

    >>> c = calibration(np.array([0.05, 0.95, 0.9]), np.array([False, True, False]), bins=2)
    >>> c.counts.tolist(), c.accuracy.tolist(), round(c.ece, 4)
    ([1, 2], [0.0, 0.5], 0.3)
    """
    p = np.clip(np.asarray(top_prob, dtype=np.float64), 0.0, 1.0)  # [T]
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum((p * bins).astype(np.int64), bins - 1)  # [T], 1.0 in the last bin
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(which, weights=p, minlength=bins) / counts
        acc = np.bincount(which, weights=np.asarray(hits, dtype=np.float64), minlength=bins) / counts
    conf, acc = np.nan_to_num(conf), np.nan_to_num(acc)
    ece = float(np.sum(counts * np.abs(acc - conf)) / max(1, counts.sum()))
    return Calibration(edges, conf, acc, counts, ece)


def pick_samples(score: Sequence[float] | np.ndarray, n_worst: int, n_random: int,
                 seed: int) -> tuple[list[int], list[int]]:
    """Rows of ``per_sample`` to show: the ``n_worst`` highest ``score`` (highest first; ties: the earlier row),
    and ``n_random`` of the others drawn with ``numpy.random.default_rng(seed)`` (in row order).

    >>> pick_samples([0.5, 2.0, 1.0, 0.1, 3.0], 2, 2, seed=0)[0]
    [4, 1]
    """
    s = np.asarray(score, dtype=np.float64)
    s = np.where(np.isfinite(s), s, np.inf)  # an infinite or NaN score is among the worst
    order = np.lexsort((np.arange(len(s)), -s))  # [S]
    worst = order[: max(0, n_worst)]
    rest = np.sort(order[max(0, n_worst):])
    drawn = np.random.default_rng(seed).choice(rest, size=min(len(rest), max(0, n_random)), replace=False)
    return worst.tolist(), sorted(drawn.tolist())
