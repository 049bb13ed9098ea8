"""DistilBERT in NumPy, as transformers' ``DistilBertForMaskedLM``: word + position embeddings (no token
types), post-norm blocks with fixed eps 1e-12, head ``vocab_transform`` -> activation -> ``vocab_layer_norm``
-> ``vocab_projector``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .attention import SelfAttention, padding_bias
from .blocks import PostNormLayer
from .checkpoint import Checkpoint
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_int
from .layers import LayerNorm, embed, load_linear, load_norm, load_qkv
from .network import AllPositions
from .special import activation

__all__ = ["DistilBertNetwork", "load_distilbert"]

_EPS = 1e-12  # DistilBERT's layer norms do not read layer_norm_eps


@dataclass(frozen=True)
class DistilBertNetwork(AllPositions):
    """DistilBERT's embeddings, blocks and MLM head."""

    words: np.ndarray
    positions: np.ndarray
    norm: LayerNorm
    layers: list[PostNormLayer]
    head: MLMHead
    uses_token_types: bool = False

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids and mask (token types ignored) -> [B, L, H] last hidden states."""
        x = embed(self.words, ids, "input id")  # [B, L, H]
        x += embed(self.positions, np.broadcast_to(np.arange(ids.shape[1]), ids.shape), "position")
        x = self.norm(x)
        bias = padding_bias(mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


def load_distilbert(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> DistilBertNetwork:
    """A ``DistilBertNetwork`` from a DistilBERT masked-LM checkpoint."""
    dim, inner, heads = hp_int(config, "dim", 768), hp_int(config, "hidden_dim", 3072), hp_int(config, "n_heads", 12)
    act = activation(config.get("activation", "gelu"), key="activation")
    words = ckpt.get("embeddings.word_embeddings.weight", base=True)
    vocab = words.shape[0]
    layers = []
    for i in range(hp_int(config, "n_layers", 6)):
        name = f"transformer.layer.{i}"
        attention = SelfAttention(*load_qkv(ckpt, f"{name}.attention", ("q_lin", "k_lin", "v_lin"), (dim, dim)),
                                  heads=heads)
        layers.append(PostNormLayer(attention, load_linear(ckpt, f"{name}.attention.out_lin", (dim, dim)),
                                    load_norm(ckpt, f"{name}.sa_layer_norm", dim, _EPS),
                                    load_linear(ckpt, f"{name}.ffn.lin1", (inner, dim)), act,
                                    load_linear(ckpt, f"{name}.ffn.lin2", (dim, inner)),
                                    load_norm(ckpt, f"{name}.output_layer_norm", dim, _EPS)))
    head = MLMHead(load_linear(ckpt, "vocab_transform", (dim, dim), base=False), act,
                   load_norm(ckpt, "vocab_layer_norm", dim, _EPS, base=False),
                   decoder_weight(ckpt, config, "vocab_projector.weight", words),
                   decoder_bias(ckpt, config, ("vocab_projector.bias",), vocab))
    return DistilBertNetwork(
        words=ckpt.get("embeddings.word_embeddings.weight", base=True, shape=(vocab, dim)),
        positions=ckpt.get("embeddings.position_embeddings.weight", base=True,
                           shape=(hp_int(config, "max_position_embeddings", 512), dim)),
        norm=load_norm(ckpt, "embeddings.LayerNorm", dim, _EPS), layers=layers, head=head)
