"""The building blocks of the NumPy forward passes: linear maps, layer norms, embedding lookups.

Activations are float32 (float64 in the float64 precision: the weights' dtype); matrix products go through
NumPy's BLAS on 2-D [rows, features] operands (a weight [out, in] is used through its transposed view, never
copied); layer-norm statistics are float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ModelError
from .checkpoint import Checkpoint

__all__ = ["Linear", "LayerNorm", "embed", "load_linear", "load_norm", "load_qkv"]

_NORM_BLOCK = 1 << 16  # elements a layer norm normalizes at once


@dataclass(frozen=True)
class Linear:
    """``x @ weight.T + bias`` as torch's ``nn.Linear``: weight [out, in], bias [out] or None."""

    weight: np.ndarray
    bias: np.ndarray | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """[N, in] -> [N, out] or [G, L, in] -> [G, L, out], in the weights' dtype.

        A [G, L, in] group runs one [L, in] @ [in, out] product per sequence, never one [G * L, in] product: a
        BLAS product's rows depend on how many rows it has, and a sequence's must not depend on its group.
        """
        if x.ndim == 2:
            out = x @ self.weight.T  # [N, in] @ [in, out] -> [N, out]
        else:
            out = np.empty((*x.shape[:-1], self.weight.shape[0]), dtype=np.result_type(x, self.weight))
            for g in range(x.shape[0]):
                np.matmul(x[g], self.weight.T, out=out[g])  # [L, in] @ [in, out] -> [L, out]
        if self.bias is not None:
            out += self.bias
        return out


@dataclass(frozen=True)
class LayerNorm:
    """torch's ``nn.LayerNorm`` over the last axis: float64 mean and variance, weight and optional bias."""

    weight: np.ndarray
    bias: np.ndarray | None
    eps: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """[..., H] -> [..., H] in x's dtype, a block of rows at a time (the float64 temporaries stay in cache)."""
        flat = x.reshape(-1, x.shape[-1])  # [N, H]
        out = np.empty(flat.shape, dtype=x.dtype)
        rows = max(1, _NORM_BLOCK // max(1, flat.shape[1]))
        for start in range(0, len(flat), rows):
            part = flat[start: start + rows]  # [n, H]
            centred = part - part.mean(axis=-1, keepdims=True, dtype=np.float64)  # [n, H] float64
            variance = np.mean(np.square(centred), axis=-1, keepdims=True)  # [n, 1]
            centred *= 1.0 / np.sqrt(variance + self.eps)
            block = out[start: start + rows]
            block[...] = centred
            block *= self.weight
            if self.bias is not None:
                block += self.bias
        return out.reshape(x.shape)


def embed(table: np.ndarray, ids: np.ndarray, what: str) -> np.ndarray:
    """Rows of an embedding table: [V, E] and [B, L] ids -> [B, L, E]; an id outside the table is a ``ModelError``."""
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
        raise ModelError(f"{what} {bad} is outside the model's table of {table.shape[0]} rows; pass ids the model "
                         f"was trained with (max_length within its positions, token types within type_vocab_size)")
    return table[ids]


def load_linear(ckpt: Checkpoint, name: str, shape: tuple[int, int], *, base: bool = True,
                bias: bool = True) -> Linear:
    """The ``nn.Linear`` saved as ``name.weight`` [out, in] (and ``name.bias`` [out] when ``bias``)."""
    weight = ckpt.get(f"{name}.weight", base=base, shape=shape)
    return Linear(weight, ckpt.get(f"{name}.bias", base=base, shape=shape[:1]) if bias else None)


def load_qkv(ckpt: Checkpoint, prefix: str, names: tuple[str, str, str],
             shape: tuple[int, int]) -> tuple[Linear, Linear, Linear]:
    """The query, key and value projections of one attention block, saved as ``{prefix}.{name}`` for ``names``."""
    query, key, value = (load_linear(ckpt, f"{prefix}.{name}", shape) for name in names)
    return query, key, value


def load_norm(ckpt: Checkpoint, name: str, size: int, eps: float, *, base: bool = True,
              bias: bool = True) -> LayerNorm:
    """The ``nn.LayerNorm`` saved as ``name.weight`` (and ``name.bias`` when ``bias``)."""
    weight = ckpt.get(f"{name}.weight", base=base, shape=(size,))
    return LayerNorm(weight, ckpt.get(f"{name}.bias", base=base, shape=(size,)) if bias else None, float(eps))
