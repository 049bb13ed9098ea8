"""Scaled dot-product self-attention on [B, heads, L, d] float32 (or float64) arrays, padding masks and rotary
embeddings.

Padded keys get ``finfo(float32).min`` added to their scores, as transformers' eager attention does;
softmax subtracts the row maximum and sums the exponentials in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .layers import Linear
from .sequences import by_sequence

__all__ = ["Attention", "SelfAttention", "padding_bias", "split_heads", "merge_heads", "attend", "softmax_", "rotary_tables",
           "rotate", "default_inv_freq"]

_MIN = np.finfo(np.float32).min


def padding_bias(attention_mask: np.ndarray) -> np.ndarray:
    """[B, L] 1/0 mask -> [B, 1, 1, L] float32 bias: 0 on real keys, finfo.min on padding."""
    return np.where(np.asarray(attention_mask)[:, None, None, :] != 0, np.float32(0.0), _MIN).astype(np.float32)


def split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    """[B, L, heads * d] -> [B, heads, L, d] (a view)."""
    batch, length, width = x.shape
    return x.reshape(batch, length, heads, width // heads).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """[B, heads, L, d] -> [B, L, heads * d]."""
    batch, heads, length, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, length, heads * d)


def softmax_(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place on float ``scores`` (float64 sums); returns ``scores``."""
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True, dtype=np.float64)
    np.divide(scores, total, out=scores, casting="same_kind")
    return scores


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None, scale: float) -> np.ndarray:
    """softmax(q k^T * scale + bias) v: [B, h, L, d] each, bias broadcasting to [B, h, L, L] -> [B, h, L, d]."""
    scores = np.matmul(q, k.swapaxes(-1, -2))  # [B, h, L, d] @ [B, h, d, L] -> [B, h, L, L]
    if scale != 1.0:
        scores *= scale  # a Python float: applied in the scores' dtype
    if bias is not None:
        scores += bias
    return np.matmul(softmax_(scores), v)  # [B, h, L, L] @ [B, h, L, d] -> [B, h, L, d]


class Attention(Protocol):
    """A post-norm layer's attention: the context before its output projection, on every row or on some rows."""

    def __call__(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray: ...

    def at(self, x: np.ndarray, bias: np.ndarray, batch: np.ndarray, position: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class SelfAttention:
    """BERT-style multi-head self-attention: query, key, value projections, scale 1/sqrt(d), no output projection."""

    query: Linear
    key: Linear
    value: Linear
    heads: int

    def __call__(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """[B, L, H] hidden states and a [B, 1, 1, L] padding bias -> [B, L, H] context."""
        q, k, v = (split_heads(p(x), self.heads) for p in (self.query, self.key, self.value))  # [B, h, L, d]
        return merge_heads(attend(q, k, v, bias, q.shape[-1] ** -0.5))

    def at(self, x: np.ndarray, bias: np.ndarray, batch: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The context at rows (``batch[i]``, ``position[i]``) only: keys and values on every position, queries on
        those rows. [B, L, H], [B, 1, 1, L] bias, [M] and [M] indices -> [M, H]."""
        k, v = (split_heads(p(x), self.heads) for p in (self.key, self.value))  # [B, h, L, d]
        q = self.query(x[batch, position])  # [M, H]
        rows, width = q.shape
        d = width // self.heads
        q = q.reshape(rows, self.heads, d)  # [M, h, d]
        out = by_sequence(batch, np.empty_like(q),  # the rows of one sequence attend to its keys: [h, m, d]
                          lambda b, mine: attend(q[mine].transpose(1, 0, 2), k[b], v[b], bias[b],
                                                 d**-0.5).transpose(1, 0, 2))
        return out.reshape(rows, width)


def rotary_tables(inv_freq: np.ndarray, length: int, *,
                  dtype: np.dtype[Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin [L, d] of rotary embeddings at positions 0..L-1 from the inverse frequencies.

    float32 (default ``dtype``): computed in float32, as transformers does. float64: the angles, cos and sin
    in float64 (transformers computes them in float32 even in a float64 model; its tables then differ from
    these by a float32 rounding, ~6e-8 relative, the float64 reference's one departure from ``model.double()``).
    """
    compute = np.float64 if np.dtype(np.float32 if dtype is None else dtype) == np.float64 else np.float32
    freqs = np.arange(length, dtype=compute)[:, None] * inv_freq.astype(compute)[None, :]  # [L, d/2]
    angles = np.concatenate([freqs, freqs], axis=-1)  # [L, d]
    return np.cos(angles), np.sin(angles)


def rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotary embedding of [B, h, L, d]: x * cos + rotate_half(x) * sin with [L, d] tables."""
    half = x.shape[-1] // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)  # [B, h, L, d]
    return x * cos + rotated * sin


def default_inv_freq(theta: float, dim: int, *, dtype: np.dtype[Any] | None = None) -> np.ndarray:
    """[dim / 2] ``1 / theta ** (arange(0, dim, 2) / dim)``: float32 as transformers' default RoPE computes it, or
    in float64 when ``dtype`` is float64 (the float64 reference)."""
    if dtype is not None and np.dtype(dtype) == np.float64:
        return 1.0 / np.power(float(theta), np.arange(0, dim, 2, dtype=np.float64) / dim)  # [d/2]
    exponents = np.arange(0, dim, 2, dtype=np.float32) / np.float32(dim)  # [d/2]
    return (np.float32(1.0) / np.power(np.float32(theta), exponents)).astype(np.float32)
