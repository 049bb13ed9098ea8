"""ALBERT in NumPy, as transformers' ``AlbertForMaskedLM``: factorized embeddings (embedding_size, then
``embedding_hidden_mapping_in`` to hidden_size) and layers shared across depth (layer i runs group
``int(i / (num_hidden_layers / num_hidden_groups))``, each group ``inner_group_num`` layers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .attention import SelfAttention, padding_bias
from .blocks import PostNormLayer
from .checkpoint import Checkpoint
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_float, hp_int
from .layers import LayerNorm, Linear, embed, load_linear, load_norm, load_qkv
from .network import AllPositions
from .special import activation

__all__ = ["AlbertNetwork", "load_albert"]


@dataclass(frozen=True)
class AlbertNetwork(AllPositions):
    """ALBERT's embeddings, mapping, shared layer groups and MLM head."""

    words: np.ndarray
    positions: np.ndarray
    types: np.ndarray
    norm: LayerNorm
    mapping: Linear
    groups: list[list[PostNormLayer]]
    schedule: list[int]  # group run at each depth
    head: MLMHead
    uses_token_types: bool = True

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids, mask, token types -> [B, L, H] last hidden states."""
        positions = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)  # [B, L]
        x = embed(self.words, ids, "input id")  # [B, L, E]
        x += embed(self.types, np.zeros_like(ids) if types is None else types, "token type id")
        x += embed(self.positions, positions, "position")
        x = self.mapping(self.norm(x))  # [B, L, E] -> [B, L, H]
        bias = padding_bias(mask)
        for group in self.schedule:
            for layer in self.groups[group]:
                x = layer(x, bias)
        return x


def _layer(ckpt: Checkpoint, name: str, hidden: int, inner: int, heads: int, eps: float, act: Any) -> PostNormLayer:
    """``albert_layer_groups.{g}.albert_layers.{j}`` as a ``PostNormLayer``."""
    square = (hidden, hidden)
    attention = SelfAttention(*load_qkv(ckpt, f"{name}.attention", ("query", "key", "value"), square), heads=heads)
    return PostNormLayer(attention, load_linear(ckpt, f"{name}.attention.dense", square),
                         load_norm(ckpt, f"{name}.attention.LayerNorm", hidden, eps),
                         load_linear(ckpt, f"{name}.ffn", (inner, hidden)), act,
                         load_linear(ckpt, f"{name}.ffn_output", (hidden, inner)),
                         load_norm(ckpt, f"{name}.full_layer_layer_norm", hidden, eps))


def load_albert(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> AlbertNetwork:
    """An ``AlbertNetwork`` from an ALBERT masked-LM checkpoint."""
    hidden, width = hp_int(config, "hidden_size", 4096), hp_int(config, "embedding_size", 128)
    heads, inner = hp_int(config, "num_attention_heads", 64), hp_int(config, "intermediate_size", 16384)
    layers, n_groups = hp_int(config, "num_hidden_layers", 12), hp_int(config, "num_hidden_groups", 1)
    inner_layers, eps = hp_int(config, "inner_group_num", 1), hp_float(config, "layer_norm_eps", 1e-12)
    act = activation(config.get("hidden_act", "gelu_new"))
    words = ckpt.get("embeddings.word_embeddings.weight", base=True)
    vocab = words.shape[0]
    groups = [[_layer(ckpt, f"encoder.albert_layer_groups.{g}.albert_layers.{j}", hidden, inner, heads, eps, act)
               for j in range(inner_layers)] for g in range(n_groups)]
    head = MLMHead(load_linear(ckpt, "predictions.dense", (width, hidden), base=False), act,
                   load_norm(ckpt, "predictions.LayerNorm", width, eps, base=False),
                   decoder_weight(ckpt, config, "predictions.decoder.weight", words),
                   decoder_bias(ckpt, config, ("predictions.bias", "predictions.decoder.bias"), vocab))
    return AlbertNetwork(
        words=ckpt.get("embeddings.word_embeddings.weight", base=True, shape=(vocab, width)),
        positions=ckpt.get("embeddings.position_embeddings.weight", base=True,
                           shape=(hp_int(config, "max_position_embeddings", 512), width)),
        types=ckpt.get("embeddings.token_type_embeddings.weight", base=True,
                       shape=(hp_int(config, "type_vocab_size", 2), width)),
        norm=load_norm(ckpt, "embeddings.LayerNorm", width, eps),
        mapping=load_linear(ckpt, "encoder.embedding_hidden_mapping_in", (hidden, width)),
        groups=groups, schedule=[int(i / (layers / n_groups)) for i in range(layers)], head=head)
