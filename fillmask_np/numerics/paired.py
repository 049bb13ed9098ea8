"""Paired figures of two models' logits: per-token NLL, KL, top-k overlap, cosine, and the paired bootstrap.

Every figure is computed from two [M, V] blocks of logits at the same masked positions, in chunks of
``CHUNK_ROWS`` rows with float64 sums, never from full [B, L, V] logits.
"""

from __future__ import annotations


import numpy as np

from ..errors import FillMaskError
from .rows import CHUNK_ROWS, row_nll_and_rank
from .softmax import check_finite

__all__ = ["PairedRows", "paired_rows", "top_k_indices", "paired_bootstrap"]

_TOP_K = 5


class PairedRows:
    """Per-token figures of one block: each model's NLL and rank of the label, and their agreement."""

    __slots__ = ("nll_ref", "nll_cand", "rank_ref", "rank_cand", "kl", "top1_agree", "top5_overlap",
                 "max_abs", "cosine")

    def __init__(self, m: int) -> None:
        self.nll_ref = np.empty(m, dtype=np.float64)  # [M]
        self.nll_cand = np.empty(m, dtype=np.float64)
        self.rank_ref = np.empty(m, dtype=np.int64)
        self.rank_cand = np.empty(m, dtype=np.int64)
        self.kl = np.empty(m, dtype=np.float64)  # KL(ref || cand) per token
        self.top1_agree = np.empty(m, dtype=bool)
        self.top5_overlap = np.empty(m, dtype=np.float64)  # |top5_ref & top5_cand| / 5
        self.max_abs = np.empty(m, dtype=np.float64)  # max |logit_cand - logit_ref| per token
        self.cosine = np.empty(m, dtype=np.float64)


def top_k_indices(x: np.ndarray, k: int = _TOP_K) -> np.ndarray:
    """[m, V] -> [m, k] ids of each row's ``k`` highest entries, by value descending, ties to the lower id.

    A row's k-th largest value is at least the k-th largest of any subsample, so only the entries
    above a strided subsample's k-th largest are sorted (a few hundred of 30k), not the whole row.

    >>> top_k_indices(np.array([[1.0, 3.0, 3.0, 0.0]]), 2).tolist()
    [[1, 2]]
    """
    k = min(k, x.shape[1])
    sub = x[:, :: max(1, x.shape[1] // 512)]  # [m, S], S >= k
    floor = np.partition(sub, sub.shape[1] - k, axis=1)[:, sub.shape[1] - k]  # [m] <= each row's k-th largest
    out = np.empty((x.shape[0], k), dtype=np.int64)
    for i, row in enumerate(x):
        ids = np.flatnonzero(row >= floor[i])  # ascending ids, the top k among them
        out[i] = ids[np.lexsort((ids, -row[ids]))[:k]]
    return out


def _exp_and_lse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[m, V] float64 -> (exp(x - max) [m, V], their sum [m], logsumexp = max + log(sum) [m])."""
    mx = np.max(x, axis=1, keepdims=True)  # [m, 1]
    e = np.exp(x - mx)  # [m, V]
    total = np.sum(e, axis=1)  # [m]
    return e, total, mx[:, 0] + np.log(total)


def _kl_and_diff(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KL(softmax r || softmax c) [m] and c - r [m, V], all float64.

    ``log p_r - log p_c = (r - c) - (lse_r - lse_c)`` and ``sum p_r = 1``, so
    ``KL = sum(exp(r - max_r) (r - c)) / sum(exp(r - max_r)) - (lse_r - lse_c)``: two exponentials per entry.
    """
    e_r, total_r, lse_r = _exp_and_lse(r)
    lse_c = _exp_and_lse(c)[2]
    diff = c - r  # [m, V], exact for float32 logits
    return -np.einsum("ij,ij->i", e_r, diff) / total_r - (lse_r - lse_c), diff


def paired_rows(ref: np.ndarray, cand: np.ndarray, targets: np.ndarray) -> PairedRows:
    """Per-token figures of two [M, V] logit blocks at the same positions, scored against ``targets`` [M].

    Args:
        ref: [M, V] reference logits (any float dtype; computed in float64).
        cand: [M, V] candidate logits, the same shape.
        targets: [M] label ids in [0, V).
    Returns:
        a ``PairedRows`` of [M] arrays. The rank of a label counts the entries scored strictly higher
        (rank 0 = top-1 hit); a row of zeros has cosine 1 with another row of zeros and 0 with any other.
    """
    if ref.shape != cand.shape:
        raise FillMaskError(f"reference logits {ref.shape} and candidate logits {cand.shape} differ in shape; "
                            f"the two models must score the same positions over the same vocabulary")
    out = PairedRows(len(targets))
    for start in range(0, len(targets), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        r = np.asarray(ref[start:stop], dtype=np.float64)  # [m, V]
        c = np.asarray(cand[start:stop], dtype=np.float64)
        check_finite(r, what="reference logits at the scored positions")
        check_finite(c, what="candidate logits at the scored positions")
        out.kl[start:stop], diff = _kl_and_diff(r, c)  # [m], [m, V]
        out.top1_agree[start:stop] = np.argmax(r, axis=1) == np.argmax(c, axis=1)
        top_r, top_c = top_k_indices(r), top_k_indices(c)  # [m, k]
        shared = np.any(top_r[:, :, None] == top_c[:, None, :], axis=2)  # [m, k]: in both top-k sets
        out.top5_overlap[start:stop] = np.count_nonzero(shared, axis=1) / top_r.shape[1]
        out.max_abs[start:stop] = np.max(np.abs(diff), axis=1)
        out.cosine[start:stop] = _cosine(r, c)
    # NLL and rank exactly as evaluate() computes them, so that compare and eval print the same figures
    out.nll_ref[:], out.rank_ref[:] = row_nll_and_rank(ref, targets)  # [M, V] -> [M]
    out.nll_cand[:], out.rank_cand[:] = row_nll_and_rank(cand, targets)
    return out


def _cosine(r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """[m, V] x [m, V] -> [m] cosine; sqrt(|r|^2 |c|^2) keeps a row's cosine with itself exactly 1."""
    dot = np.einsum("ij,ij->i", r, c)
    norms = np.sqrt(np.einsum("ij,ij->i", r, r) * np.einsum("ij,ij->i", c, c))
    zero = norms == 0
    both_zero = ~np.any(r, axis=1) & ~np.any(c, axis=1)
    return np.where(zero, both_zero.astype(np.float64), dot / np.where(zero, 1.0, norms))


def paired_bootstrap(delta: np.ndarray, resamples: int, seed: int) -> tuple[float, float] | None:
    """95 % paired bootstrap interval of the mean of ``delta`` (per-token NLL differences).

    Each resample draws ``len(delta)`` tokens with replacement by ``default_rng(seed).integers``, one
    call per resample; the interval is the 2.5th and 97.5th percentiles (linear) of the resampled means.

    Args:
        delta: [M] float64 per-token differences (candidate NLL - reference NLL).
        resamples: number of resamples; 0 gives None.
        seed: seed of the ``numpy.random.Generator``.
    Returns:
        (low, high), or None when ``resamples`` is 0.

    >>> paired_bootstrap(np.full(4, 0.5), 100, seed=0)
    (0.5, 0.5)
    """
    if resamples == 0 or len(delta) == 0:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    for i in range(resamples):
        means[i] = np.mean(delta[rng.integers(0, len(delta), size=len(delta))])  # [M] -> scalar
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
