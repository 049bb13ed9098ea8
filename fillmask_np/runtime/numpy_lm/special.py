"""Special functions and activations in NumPy: erf accurate to float64 rounding (no scipy), the GELUs
transformers names in ``hidden_act``, and the other activations its configs use.

erf is a table of Taylor expansions: centres every 1/32 on [0, 6], 10 terms each, built at import from
``math.erf`` and ``math.exp`` at the centres (the n-th derivative of erf is
``2/sqrt(pi) * (-1)**(n-1) * H_{n-1}(x) * exp(-x**2)``, H the physicists' Hermite polynomials); beyond 6
erf rounds to +-1 in float64. A point is evaluated at its nearest centre (the offset is exact by
Sterbenz's lemma), in Horner form, within a few units in the last place of ``math.erf``.

The exact GELU ``x * Phi(x)`` has its own, cheaper table (it runs on every feed-forward activation): Taylor
expansions of ``Phi(x) - 1/2 = erf(x / sqrt(2)) / 2`` in x itself, centres every 2**-9 on [0, 8.5], 4 terms,
each coefficient pre-multiplied by the power of the spacing, so that the offset is in units of the spacing
(exact: the scaling is by a power of two); beyond 8.5, Phi rounds to 1 in float64. The truncation error is
below 1e-17, and above x = -3 the float64 result rounds to the same float32 as the erf-based formula did (the
same on 23 million random points; below, where 1 + erf cancels, both are within 1.2e-7 relative).
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


_GELU_SHIFT = 9  # centres every 2**-9 in x: offsets are at most 2**-10
_GELU_TERMS = 4  # Taylor terms after the constant one: the next is below 0.01 * 2**-50 < 1e-17
_GELU_CUTOFF = 8.5  # Phi(x) rounds to 1.0 for x >= 8.3; a multiple of the spacing


def _gelu_table() -> np.ndarray:
    """[_GELU_TERMS + 1, centres] float64: row n holds the n-th Taylor coefficient of ``Phi(x) - 1/2`` at every
    centre c, times ``2**(-n * _GELU_SHIFT)``. The n-th derivative (n >= 1) is
    ``(-1)**(n-1) * He_{n-1}(c) * exp(-c**2 / 2) / sqrt(2 pi)``, He the probabilists' Hermite polynomials."""
    step = 2.0 ** -_GELU_SHIFT
    centres = np.arange(round(_GELU_CUTOFF / step) + 1) * step  # exact multiples of the spacing
    table = np.empty((_GELU_TERMS + 1, len(centres)))
    table[0] = [0.5 * math.erf(c / math.sqrt(2.0)) for c in centres]
    density = np.exp(-0.5 * centres * centres) / math.sqrt(2.0 * math.pi)
    hermite = [np.ones_like(centres), centres]  # He_0, He_1 at the centres
    for n in range(1, _GELU_TERMS):
        hermite.append(centres * hermite[n] - n * hermite[n - 1])
    for n in range(1, _GELU_TERMS + 1):
        table[n] = (-1) ** (n - 1) * hermite[n - 1] * density / math.factorial(n) * step**n
    return table


_GELU_TABLE = _gelu_table()
_GELU_BLOCK = 1 << 15  # elements evaluated at once (the float64 temporaries stay in cache)


def _gelu_block(x: np.ndarray, out: np.ndarray) -> None:
    """Exact GELU of a 1-D float32 block into ``out`` (float32, same length)."""
    a = np.abs(x)  # [n] float32
    u = np.fmin(a, np.float32(_GELU_CUTOFF))  # NaN -> the cutoff; x * Phi stays NaN below
    u *= np.float32(2.0**_GELU_SHIFT)  # exact
    centre = np.rint(u)
    u -= centre  # exact: the offset in units of the spacing, |u| <= 1/2
    index = centre.astype(np.intp)
    offset = u.astype(np.float64)
    table, part = _GELU_TABLE, np.empty(len(x))
    acc = np.take(table[_GELU_TERMS], index, mode="clip")  # Horner; indices are in range
    for n in range(_GELU_TERMS - 1, -1, -1):
        acc *= offset
        acc += np.take(table[n], index, out=part, mode="clip")
    acc *= a  # |x| (Phi(|x|) - 1/2) = x (Phi(x) - 1/2): Phi(x) - 1/2 is odd
    acc += np.multiply(x, 0.5, dtype=np.float64)  # + x/2
    out[...] = acc


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * (1 + erf(x / sqrt(2))) / 2`` (transformers' ``gelu``) in x's precision.

    float32: float64 inside, from its own Taylor table block by block (see the module docstring), so that
    the float64 temporaries stay in cache. float64: torch's formula on ``erf`` (within 2 ulp of ``math.erf``).
    """
    if np.asarray(x).dtype == np.float64:
        return x * 0.5 * (1.0 + erf(x * math.sqrt(0.5)))
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)  # [n]
    out = np.empty_like(flat)
    for start in range(0, len(flat), _GELU_BLOCK):
        _gelu_block(flat[start: start + _GELU_BLOCK], out[start: start + _GELU_BLOCK])
    return out.reshape(np.shape(x))


# The constants below are Python floats: NumPy applies them in the array's dtype (float32 or float64), so one
# formula serves both precisions, in the order transformers writes it.
def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """Tanh GELU ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))`` (``gelu_new``, ``gelu_pytorch_tanh``)."""
    inner = np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x)))
    return 0.5 * x * (1.0 + inner)


def _gelu_fast(x: np.ndarray) -> np.ndarray:
    inner = np.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))
    return 0.5 * x * (1.0 + inner)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "gelu": gelu, "gelu_python": gelu, "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh,
    "gelu_python_tanh": gelu_tanh, "gelu_fast": _gelu_fast,
    "quick_gelu": lambda x: x * _sigmoid(1.702 * x),
    "relu": lambda x: np.maximum(x, 0.0), "silu": lambda x: x * _sigmoid(x),
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
