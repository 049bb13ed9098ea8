"""Numerically stable log-softmax and logsumexp in NumPy, float64 sums, and the finite-values check.

``log_softmax(x) = (x - max) - log(sum(exp(x - max)))``: never ``log(softmax)``, never ``+ eps``.
"""

from __future__ import annotations

import numpy as np

from ..errors import NumericsError

__all__ = ["check_finite", "as_float", "logsumexp", "log_softmax"]


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


def as_float(x: np.ndarray) -> np.ndarray:
    """float16/bfloat16-ish and integer inputs are computed in float32; float32/64 are kept."""
    x = np.asarray(x)
    if x.dtype == np.float64 or x.dtype == np.float32:
        return x
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise NumericsError(f"logits must be a float array, got dtype {x.dtype}; pass the model's numeric logits")
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
    x = as_float(x)
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
    x = as_float(x)
    check_finite(x, what="log_softmax input")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=axis, dtype=np.float64, keepdims=True))
    return (shifted - lse).astype(x.dtype)
