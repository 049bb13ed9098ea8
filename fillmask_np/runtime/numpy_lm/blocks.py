"""The post-layer-norm transformer block of BERT, ALBERT, DistilBERT and DeBERTa, and BERT's loader of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .attention import Attention, SelfAttention
from .checkpoint import Checkpoint
from .layers import LayerNorm, Linear, load_linear, load_norm, load_qkv
from .sequences import by_sequence

__all__ = ["PostNormLayer", "load_bert_layer"]


@dataclass(frozen=True)
class PostNormLayer:
    """x -> norm1(x + out(attention(x))) -> norm2(h + ffn_out(act(ffn_in(h)))).

    ``attention`` maps ([B, L, H], bias) to the [B, L, H] context before its output projection.
    """

    attention: Attention
    output: Linear
    attention_norm: LayerNorm
    ffn_in: Linear
    act: Callable[[np.ndarray], np.ndarray]
    ffn_out: Linear
    output_norm: LayerNorm

    def __call__(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """[B, L, H] hidden states and the attention bias -> [B, L, H]."""
        h = self.output(self.attention(x, bias))  # [B, L, H]
        h += x
        h = self.attention_norm(h)
        out = self.ffn_out(self.act(self.ffn_in(h)))  # [B, L, H] -> [B, L, I] -> [B, L, H]
        out += h
        return self.output_norm(out)

    def at(self, x: np.ndarray, bias: np.ndarray, batch: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The layer's output at rows (``batch[i]``, ``position[i]``) only -> [M, H]: everything after the
        attention is position-wise, so it runs on those rows alone, a sequence at a time (a product over the
        rows of several sequences would make a row's bits depend on the others)."""
        return by_sequence(batch, np.empty((len(batch), x.shape[-1]), dtype=x.dtype),  # [M, H]
                           lambda b, mine: self._at(x[b: b + 1], bias[b: b + 1], np.zeros(len(mine), dtype=np.intp),
                                                    position[mine]))

    def _at(self, x: np.ndarray, bias: np.ndarray, batch: np.ndarray, position: np.ndarray) -> np.ndarray:
        """``at`` on one sequence: [1, L, H] -> [m, H]."""
        h = self.output(self.attention.at(x, bias, batch, position))  # [m, H]
        h += x[batch, position]
        h = self.attention_norm(h)
        out = self.ffn_out(self.act(self.ffn_in(h)))  # [M, H] -> [M, I] -> [M, H]
        out += h
        return self.output_norm(out)


def load_bert_layer(ckpt: Checkpoint, name: str, hidden: int, inner: int, heads: int, eps: float,
                    act: Callable[[np.ndarray], np.ndarray]) -> PostNormLayer:
    """BERT's ``encoder.layer.{i}`` (also RoBERTa's, XLM-R's, ELECTRA's) as a ``PostNormLayer``."""
    square = (hidden, hidden)
    attention = SelfAttention(*load_qkv(ckpt, f"{name}.attention.self", ("query", "key", "value"), square),
                              heads=heads)
    return PostNormLayer(attention, load_linear(ckpt, f"{name}.attention.output.dense", square),
                         load_norm(ckpt, f"{name}.attention.output.LayerNorm", hidden, eps),
                         load_linear(ckpt, f"{name}.intermediate.dense", (inner, hidden)), act,
                         load_linear(ckpt, f"{name}.output.dense", (hidden, inner)),
                         load_norm(ckpt, f"{name}.output.LayerNorm", hidden, eps))
