"""Cross-entropy as ``torch.nn.functional.cross_entropy``, with float64 accumulation.

Follows torch (ignore_index, reductions, mean over the non-ignored targets) but gathers the scored rows
first, so ignored positions cost nothing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import NumericsError
from .rows import row_scores
from .softmax import as_float

__all__ = ["cross_entropy"]


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
    if vocab < 1:
        raise NumericsError(f"logits shape {logits.shape} has an empty vocabulary axis; logits must be [..., V] with "
                            f"V >= 1")
    as_float(logits[..., :1])  # a non-numeric dtype is refused here, with one line
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
    nll, _, _ = row_scores(flat_logits, targets, top=False, index=index, ranks=False)  # [M]
    if reduction == "none":
        out = np.zeros(flat_labels.shape, dtype=np.float64)
        out[keep] = nll
        return out.reshape(labels.shape)
    total = float(np.sum(nll, dtype=np.float64))
    if reduction == "sum":
        return total
    return total / len(nll) if len(nll) else float("nan")
