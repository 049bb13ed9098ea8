"""DeBERTa-v2's disentangled self-attention in NumPy: content-to-content scores plus content-to-position
(c2p) and position-to-content (p2c) scores read from relative-position embeddings, with the log-bucketed
relative positions of ``make_log_bucket_position`` (computed in float32, as transformers does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attention import merge_heads, softmax_, split_heads
from .layers import Linear

__all__ = ["relative_positions", "DisentangledAttention"]


def relative_positions(length: int, buckets: int, max_position: int) -> np.ndarray:
    """[L, L] int64 relative positions ``i - j``, log-bucketed when ``buckets`` and ``max_position`` are > 0."""
    rel = np.arange(length)[:, None] - np.arange(length)[None, :]  # [L, L]
    if buckets <= 0 or max_position <= 0:
        return rel
    mid = buckets // 2
    abs_pos = np.where((rel < mid) & (rel > -mid), mid - 1, np.abs(rel))  # [L, L]
    ratio = np.log(abs_pos.astype(np.float32) / np.float32(mid)) / np.log(np.float32((max_position - 1) / mid))
    log_pos = np.ceil(ratio * np.float32(mid - 1)) + np.float32(mid)  # float32, as torch
    return np.where(abs_pos <= mid, rel, log_pos * np.sign(rel)).astype(np.int64)


@dataclass(frozen=True)
class DisentangledAttention:
    """``DisentangledSelfAttention`` with relative attention: projections, relative embeddings (already
    layer-normed when config.json says so) and which of c2p / p2c it adds."""

    query: Linear
    key: Linear
    value: Linear
    pos_query: Linear  # query_proj when share_att_key, else pos_query_proj
    pos_key: Linear  # key_proj when share_att_key, else pos_key_proj
    rel_embeddings: np.ndarray  # [2 * span, H]
    heads: int
    span: int
    buckets: int
    max_position: int
    c2p: bool
    p2c: bool

    def __call__(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """[B, L, H] hidden states and a [B, 1, L, L] bias (finfo.min off the query x key mask) -> [B, L, H]."""
        q, k, v = (split_heads(p(x), self.heads) for p in (self.query, self.key, self.value))  # [B, h, L, d]
        scale = q.dtype.type(np.sqrt(np.float32(q.shape[-1] * (1 + self.c2p + self.p2c)), dtype=np.float32))
        scores = np.matmul(q, k.swapaxes(-1, -2) / scale)  # [B, h, L, L]
        rel = relative_positions(x.shape[1], self.buckets, self.max_position)  # [L, L]
        table = self.rel_embeddings[: 2 * self.span][None]  # [1, 2S, H]
        top = 2 * self.span - 1
        if self.c2p:
            pos_key = split_heads(self.pos_key(table), self.heads)[0]  # [h, 2S, d]
            c2p = np.matmul(q, pos_key.swapaxes(-1, -2))  # [B, h, L, 2S]
            index = np.clip(rel + self.span, 0, top)[None, None]  # [1, 1, Lq, Lk]
            scores += np.take_along_axis(c2p, np.broadcast_to(index, scores.shape), axis=-1) / scale
        if self.p2c:
            pos_query = split_heads(self.pos_query(table), self.heads)[0]  # [h, 2S, d]
            p2c = np.matmul(k, pos_query.swapaxes(-1, -2))  # [B, h, Lk, 2S]
            index = np.clip(-rel + self.span, 0, top)[None, None]  # [1, 1, Lk, Lq]
            scores += np.take_along_axis(p2c, np.broadcast_to(index, scores.shape), axis=-1).swapaxes(-1, -2) / scale
        scores += bias
        return merge_heads(np.matmul(softmax_(scores), v))  # [B, h, L, d] -> [B, L, H]

    def at(self, x: np.ndarray, bias: np.ndarray, batch: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The context at rows (``batch[i]``, ``position[i]``): every query runs (the p2c scores of a row need
        every key's position projection), then the rows are gathered. -> [M, H]."""
        return self(x, bias)[batch, position]  # [B, L, H] -> [M, H]
