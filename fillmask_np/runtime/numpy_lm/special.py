"""Special functions and activations in NumPy: erf accurate to float64 rounding (no scipy), the GELUs
transformers names in ``hidden_act``, and the other activations its configs use.

erf is a table of Taylor expansions: centres every 1/32 on [0, 6], 10 terms each, built at import from
``math.erf`` and ``math.exp`` at the centres (the n-th derivative of erf is
``2/sqrt(pi) * (-1)**(n-1) * H_{n-1}(x) * exp(-x**2)``, H the physicists' Hermite polynomials); beyond 6
erf rounds to +-1 in float64. A point is evaluated at its nearest centre (the offset is exact by
Sterbenz's lemma), in Horner form, within a few units in the last place of ``math.erf``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ...errors import ModelError

__all__ = ["erf", "gelu", "gelu_tanh", "activation", "ACTIVATIONS"]

_STEP = 1.0 / 32  # spacing of the expansion centres: offsets are at most 1/64
_TERMS = 10  # Taylor terms after the constant one: the next is below 2**-60 of the value
_CUTOFF = 6.0  # erf(x) rounds to 1.0 for x >= 5.93
_BLOCK = 1 << 14  # elements evaluated at once (the coefficient gather stays in cache)


def _taylor_table() -> np.ndarray:
    """[_TERMS + 1, centres] float64: row n holds erf's n-th Taylor coefficient at every centre."""
    centres = np.arange(int(_CUTOFF / _STEP) + 2) * _STEP
    table = np.empty((_TERMS + 1, len(centres)))
    for j, c in enumerate(centres):
        hermite = [1.0, 2.0 * c]  # H_0, H_1 at c
        for n in range(1, _TERMS):
            hermite.append(2.0 * c * hermite[n] - 2.0 * n * hermite[n - 1])
        scale = 2.0 / math.sqrt(math.pi) * math.exp(-c * c)
        table[0, j] = math.erf(c)
        for n in range(1, _TERMS + 1):
            table[n, j] = scale * (-1) ** (n - 1) * hermite[n - 1] / math.factorial(n)
    return table


_TABLE = _taylor_table()


def _erf_block(x: np.ndarray, out: np.ndarray) -> None:
    """erf of a 1-D float64 block into ``out`` (same length; may be ``x`` itself)."""
    a = np.fmin(np.abs(x), _CUTOFF)  # [n]; NaN -> the cutoff, restored below
    centre = np.rint(a * (1.0 / _STEP))  # [n]
    dx = a - centre * _STEP  # exact: |dx| <= 1/64
    coef = np.take(_TABLE, centre.astype(np.intp), axis=1)  # [T + 1, n]
    acc = coef[_TERMS]  # Horner, in place in the gathered block
    for n in range(_TERMS - 1, -1, -1):
        acc *= dx
        acc += coef[n]
    acc[a >= _CUTOFF] = 1.0
    nan = np.isnan(x)
    np.copysign(acc, x, out=out)
    out[nan] = np.nan


def erf(x: np.ndarray | float) -> np.ndarray:
    """The error function, elementwise, in float64 (within 2 ulp of ``math.erf``).

    Args:
        x: any real array (or a number).
    Returns:
        float64 array of x's shape.

    >>> float(erf(0.5)) == __import__("math").erf(0.5)
    True
    """
    flat = np.asarray(x, dtype=np.float64).reshape(-1)  # [n]
    out = np.empty_like(flat)
    for start in range(0, len(flat), _BLOCK):
        _erf_block(flat[start: start + _BLOCK], out[start: start + _BLOCK])
    return out.reshape(np.shape(x))


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * (1 + erf(x / sqrt(2))) / 2`` (transformers' ``gelu``), float64 inside, float32 out.

    Evaluated block by block so that the float64 temporaries stay in cache.
    """
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)  # [n]
    out = np.empty_like(flat)
    for start in range(0, len(flat), _BLOCK):
        block = flat[start: start + _BLOCK].astype(np.float64)
        phi = block * (1.0 / math.sqrt(2.0))
        _erf_block(phi, phi)
        phi += 1.0
        phi *= block
        phi *= 0.5
        out[start: start + _BLOCK] = phi
    return out.reshape(np.shape(x))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """Tanh GELU ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))`` (``gelu_new``, ``gelu_pytorch_tanh``)."""
    inner = np.tanh(np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * (x * x * x)))
    return np.float32(0.5) * x * (np.float32(1.0) + inner)


def _gelu_fast(x: np.ndarray) -> np.ndarray:
    inner = np.tanh(x * np.float32(0.7978845608) * (np.float32(1.0) + np.float32(0.044715) * x * x))
    return np.float32(0.5) * x * (np.float32(1.0) + inner)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "gelu": gelu, "gelu_python": gelu, "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh,
    "gelu_python_tanh": gelu_tanh, "gelu_fast": _gelu_fast,
    "quick_gelu": lambda x: x * _sigmoid(np.float32(1.702) * x),
    "relu": lambda x: np.maximum(x, np.float32(0.0)), "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x), "tanh": np.tanh, "sigmoid": _sigmoid, "linear": lambda x: x,
}


def activation(name: object, *, key: str = "hidden_act") -> Callable[[np.ndarray], np.ndarray]:
    """The activation config.json names by ``key``, or a ``ModelError`` listing those this backend has.

    >>> activation("gelu_new") is gelu_tanh
    True
    """
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ModelError(f"config.json {key}={name!r} is not an activation the NumPy backend implements; "
                         f"use one of {sorted(ACTIVATIONS)} (or run the model's ONNX export)")
    return ACTIVATIONS[name]
