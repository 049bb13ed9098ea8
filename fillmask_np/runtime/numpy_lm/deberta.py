"""DeBERTa-v2 / v3 in NumPy, as transformers' ``DebertaV2ForMaskedLM``: embeddings (word, absolute positions
only when ``position_biased_input``, token types when ``type_vocab_size`` > 0, ``embed_proj``), layer norm,
zeroed at padding; post-norm layers of disentangled attention (``relative_attention``, ``pos_att_type``,
``position_buckets``, ``share_att_key``, ``norm_rel_ebd``); the v3 head (``lm_predictions.lm_head``: dense,
act, LayerNorm, word embeddings + bias) or, with ``legacy``, ``cls.predictions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from .attention import SelfAttention
from .blocks import PostNormLayer
from .checkpoint import Checkpoint
from .deberta_attention import DisentangledAttention
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_bool, hp_float, hp_int
from .layers import LayerNorm, Linear, embed, load_linear, load_norm
from .network import AllPositions
from .special import activation

__all__ = ["DebertaNetwork", "load_deberta"]

_MIN = np.finfo(np.float32).min


@dataclass(frozen=True)
class DebertaNetwork(AllPositions):
    """DeBERTa-v2's embeddings, layers and MLM head."""

    words: np.ndarray
    positions: np.ndarray | None
    types: np.ndarray | None
    project: Linear | None
    norm: LayerNorm
    layers: list[PostNormLayer]
    head: MLMHead

    @property
    def uses_token_types(self) -> bool:
        """True when the checkpoint has token-type embeddings."""
        return self.types is not None

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids, mask, token types -> [B, L, H] last hidden states."""
        x = embed(self.words, ids, "input id")  # [B, L, E]
        if self.positions is not None:
            x += embed(self.positions, np.broadcast_to(np.arange(ids.shape[1]), ids.shape), "position")
        if self.types is not None:
            x += embed(self.types, np.zeros_like(ids) if types is None else types, "token type id")
        if self.project is not None:
            x = self.project(x)
        x = self.norm(x) * mask[:, :, None].astype(np.float32)
        real = mask != 0  # [B, L]
        bias = np.where(real[:, None, :, None] & real[:, None, None, :], np.float32(0.0), _MIN).astype(np.float32)
        for layer in self.layers:
            x = layer(x, bias)  # bias [B, 1, L, L]: query and key both real
        return x


def _attention(ckpt: Checkpoint, config: dict[str, Any], name: str, hidden: int, heads: int,
               rel: np.ndarray | None) -> SelfAttention | DisentangledAttention:
    """Layer ``name``'s attention: plain without relative attention, else disentangled."""
    q, k, v = (load_linear(ckpt, f"{name}.{p}_proj", (hidden, hidden)) for p in ("query", "key", "value"))
    if rel is None:
        return SelfAttention(q, k, v, heads)
    kinds = config.get("pos_att_type") or []
    kinds = kinds.split("|") if isinstance(kinds, str) else kinds
    c2p, p2c = "c2p" in kinds, "p2c" in kinds
    share = hp_bool(config, "share_att_key", False)
    pos_key = k if share or not c2p else load_linear(ckpt, f"{name}.pos_key_proj", (hidden, hidden))
    pos_query = q if share or not p2c else load_linear(ckpt, f"{name}.pos_query_proj", (hidden, hidden))
    buckets = hp_int(config, "position_buckets", -1, minimum=-1)
    max_rel = hp_int(config, "max_relative_positions", -1, minimum=-1)
    max_rel = max_rel if max_rel >= 1 else hp_int(config, "max_position_embeddings", 512)
    return DisentangledAttention(q, k, v, pos_query, pos_key, rel, heads, buckets if buckets > 0 else max_rel,
                                 buckets, max_rel, c2p, p2c)


def load_deberta(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> DebertaNetwork:
    """A ``DebertaNetwork`` from a DeBERTa-v2 masked-LM checkpoint."""
    if hp_int(config, "conv_kernel_size", 0, minimum=0) > 0:
        raise ModelError("config.json conv_kernel_size > 0 (DeBERTa-v2's convolution layer) is not implemented by "
                         "the NumPy backend; run the model's ONNX export")
    hidden, heads = hp_int(config, "hidden_size", 1536), hp_int(config, "num_attention_heads", 24)
    inner, eps = hp_int(config, "intermediate_size", 6144), hp_float(config, "layer_norm_eps", 1e-7)
    act, width = activation(config.get("hidden_act", "gelu")), hp_int(config, "embedding_size", hidden)
    words = ckpt.get("embeddings.word_embeddings.weight", base=True)
    vocab = words.shape[0]
    rel = None
    if hp_bool(config, "relative_attention", False):
        rel = ckpt.get("encoder.rel_embeddings.weight", base=True)
        if "layer_norm" in [x.strip() for x in str(config.get("norm_rel_ebd", "none")).lower().split("|")]:
            rel = load_norm(ckpt, "encoder.LayerNorm", hidden, eps)(rel)
    layers = []
    for i in range(hp_int(config, "num_hidden_layers", 24)):
        name = f"encoder.layer.{i}"
        layers.append(PostNormLayer(_attention(ckpt, config, f"{name}.attention.self", hidden, heads, rel),
                                    load_linear(ckpt, f"{name}.attention.output.dense", (hidden, hidden)),
                                    load_norm(ckpt, f"{name}.attention.output.LayerNorm", hidden, eps),
                                    load_linear(ckpt, f"{name}.intermediate.dense", (inner, hidden)), act,
                                    load_linear(ckpt, f"{name}.output.dense", (hidden, inner)),
                                    load_norm(ckpt, f"{name}.output.LayerNorm", hidden, eps)))
    if hp_bool(config, "legacy", True):
        head = MLMHead(load_linear(ckpt, "cls.predictions.transform.dense", (width, hidden), base=False), act,
                       load_norm(ckpt, "cls.predictions.transform.LayerNorm", width, eps, base=False),
                       decoder_weight(ckpt, config, "cls.predictions.decoder.weight", words),
                       decoder_bias(ckpt, config, ("cls.predictions.bias", "cls.predictions.decoder.bias"), vocab))
    else:
        head = MLMHead(load_linear(ckpt, "lm_predictions.lm_head.dense", (hidden, hidden), base=False), act,
                       load_norm(ckpt, "lm_predictions.lm_head.LayerNorm", hidden, eps, base=False),
                       words, ckpt.get("lm_predictions.lm_head.bias", shape=(vocab,)))
    type_count = hp_int(config, "type_vocab_size", 0, minimum=0)
    return DebertaNetwork(
        words=ckpt.get("embeddings.word_embeddings.weight", base=True, shape=(vocab, width)),
        positions=(ckpt.get("embeddings.position_embeddings.weight", base=True,
                            shape=(hp_int(config, "max_position_embeddings", 512), width))
                   if hp_bool(config, "position_biased_input", True) else None),
        types=(ckpt.get("embeddings.token_type_embeddings.weight", base=True, shape=(type_count, width))
               if type_count > 0 else None),
        project=(load_linear(ckpt, "embeddings.embed_proj", (hidden, width), bias=False)
                 if width != hidden else None),
        norm=load_norm(ckpt, "embeddings.LayerNorm", hidden, eps), layers=layers, head=head)
