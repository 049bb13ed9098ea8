"""Special functions and activations in NumPy: erf accurate to float64 rounding (no scipy), the GELUs
transformers names in ``hidden_act``, and the other activations its configs use.

erf is a table of Taylor expansions: centres every 1/32 on [0, 6], 10 terms each, built at import from
``math.erf`` and ``math.exp`` at the centres (the n-th derivative of erf is
``2/sqrt(pi) * (-1)**(n-1) * H_{n-1}(x) * exp(-x**2)``, H the physicists' Hermite polynomials); beyond 6
erf rounds to +-1 in float64. A point is evaluated at its nearest centre (the offset is exact by
Sterbenz's lemma), in Horner form, within a few units in the last place of ``math.erf``.

The exact GELU ``x * Phi(x)`` runs on every feed-forward activation, so in float32 it is computed in float32:
XLA's rational erf (clamped where erf rounds to +-1), within 2 float32 epsilons times max(1, |x|) of the exact
GELU; the float64 table's 5 gathers per element cost 3x more, and the float32 logits stay within torch
float32's error against the float64 reference on every golden family (``bench/float64_vs_torch.py``).
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


# XLA's float32 erf (also Eigen's ``generic_fast_erf_float``): x p(x^2) / q(x^2) on x clamped to [-c, c], beyond
# which erf rounds to +-1 in float32; p of degree 4 and q of degree 6 in x^2, highest coefficient first.
_ERF_CLAMP = np.float32(3.832506856900711)
_ERF_NUMERATOR = tuple(np.float32(c) for c in (
    0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861, 0.18520832239976145, 1.128379143519084))
_ERF_DENOMINATOR = tuple(np.float32(c) for c in (
    -1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885, 0.014070470171167667,
    0.11098505178285362, 0.49746925110067538, 1.0))
_GELU_BLOCK = 1 << 16  # elements evaluated at once (measured fastest of 2**12-2**17: the temporaries stay in L2)


def _horner(z2: np.ndarray, coefficients: tuple[np.floating, ...]) -> np.ndarray:
    """The polynomial with ``coefficients`` (highest first) at every element of float32 ``z2`` -> float32."""
    acc = np.full_like(z2, coefficients[0])
    for c in coefficients[1:]:
        acc *= z2
        acc += c
    return acc


def _gelu_block(x: np.ndarray, out: np.ndarray) -> None:
    """Exact GELU of a 1-D float32 block into ``out`` (float32, same length): ``x * (1/2 + erf(x / sqrt 2) / 2)``."""
    z = np.multiply(x, np.float32(math.sqrt(0.5)))  # [n]
    np.clip(z, -_ERF_CLAMP, _ERF_CLAMP, out=z)  # NaN stays NaN
    z2 = z * z
    phi = _horner(z2, _ERF_NUMERATOR)
    phi *= z
    phi /= _horner(z2, _ERF_DENOMINATOR)  # erf(x / sqrt 2)
    phi *= np.float32(0.5)
    phi += np.float32(0.5)
    np.maximum(phi, np.float32(0.0), out=phi)  # Phi(x): the rational dips below -1 by an ulp far out
    np.multiply(x, phi, out=out)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * (1 + erf(x / sqrt(2))) / 2`` (transformers' ``gelu``) in x's precision.

    float32: in float32, XLA's rational erf (``_gelu_block``), block by block so that the temporaries
    stay in cache. float64: torch's formula on ``erf`` (within 2 ulp of ``math.erf``).
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
