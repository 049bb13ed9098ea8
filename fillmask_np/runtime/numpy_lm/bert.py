"""BERT, RoBERTa, XLM-RoBERTa and the ELECTRA generator in NumPy, as transformers' ``*ForMaskedLM`` run them.

Embeddings: word + token type + position, layer norm (ELECTRA then projects embedding_size -> hidden_size);
positions 0..L-1, or for RoBERTa-like models ``padding_idx + cumsum(ids != padding_idx)`` on real tokens and
``padding_idx`` on padding. Encoder: post-norm BERT layers. Heads: ``cls.predictions`` (BERT: dense, hidden_act,
LayerNorm, decoder), ``lm_head`` (RoBERTa: dense, exact GELU, layer_norm, decoder), ``generator_predictions``
+ ``generator_lm_head`` (ELECTRA: dense to embedding_size, exact GELU, LayerNorm, decoder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ..contract import OFFSET_POSITION_MODELS, fill_position_ids
from .attention import padding_bias
from .blocks import PostNormLayer, load_bert_layer
from .checkpoint import Checkpoint
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_bool, hp_choice, hp_float, hp_int
from .layers import LayerNorm, Linear, embed, load_linear, load_norm
from .special import activation, gelu

__all__ = ["BertNetwork", "load_bert"]

_HEADS = {  # family -> (dense, norm, decoder weight, bias names in tied order)
    "bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
             "cls.predictions.decoder.weight", ("cls.predictions.bias", "cls.predictions.decoder.bias")),
    "roberta": ("lm_head.dense", "lm_head.layer_norm", "lm_head.decoder.weight",
                ("lm_head.bias", "lm_head.decoder.bias")),
    "electra": ("generator_predictions.dense", "generator_predictions.LayerNorm", "generator_lm_head.weight",
                ("generator_lm_head.bias",)),
}


@dataclass(frozen=True)
class BertNetwork:
    """The encoder and head of a BERT-like masked LM (``hidden`` then ``head`` on the scored rows)."""

    words: np.ndarray
    positions: np.ndarray
    types: np.ndarray
    norm: LayerNorm
    project: Linear | None
    layers: list[PostNormLayer]
    head: MLMHead
    padding_idx: int | None  # RoBERTa-like positions count from it; None: 0..L-1
    uses_token_types: bool = True

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids, mask, token types -> [B, L, H] last hidden states."""
        x, bias = self._embed(ids, mask, types)
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def hidden_at(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, batch: np.ndarray,
                  position: np.ndarray) -> np.ndarray:
        """The last hidden states at rows (``batch[i]``, ``position[i]``) only -> [M, H]: the last layer runs its
        queries, output projection and feed-forward block on those rows alone."""
        x, bias = self._embed(ids, mask, types)
        for layer in self.layers[:-1]:
            x = layer(x, bias)
        return self.layers[-1].at(x, bias, batch, position) if self.layers else x[batch, position]

    def _embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """[B, L] ids, mask, token types -> ([B, L, H] embeddings, [B, 1, 1, L] attention bias)."""
        style = "arange" if self.padding_idx is None else "padding_offset"
        positions = fill_position_ids(ids, style, self.padding_idx or 0)  # [B, L]
        x = embed(self.words, ids, "input id")  # [B, L, E]
        x += embed(self.types, np.zeros_like(ids) if types is None else types, "token type id")
        x += embed(self.positions, positions, "position")
        x = self.norm(x)
        if self.project is not None:
            x = self.project(x)  # [B, L, E] -> [B, L, H]
        return x, padding_bias(mask)  # [B, 1, 1, L]


def load_bert(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> BertNetwork:
    """A ``BertNetwork`` from a checkpoint of ``model_type`` bert, roberta, xlm-roberta or electra."""
    if hp_bool(config, "is_decoder", False):
        raise ModelError("config.json is_decoder=true: a causal model is not a masked LM; set it to false")
    hp_choice(config, "position_embedding_type", "absolute", ("absolute",))
    electra = model_type == "electra"
    hidden = hp_int(config, "hidden_size", 256 if electra else 768)
    width = hp_int(config, "embedding_size", 128) if electra else hidden
    heads, eps = hp_int(config, "num_attention_heads", 4 if electra else 12), hp_float(config, "layer_norm_eps", 1e-12)
    inner = hp_int(config, "intermediate_size", 1024 if electra else 3072)
    act = activation(config.get("hidden_act", "gelu"))
    words = ckpt.get("embeddings.word_embeddings.weight", base=True)
    vocab = words.shape[0]
    if words.shape[1] != width:
        raise ModelError(f"embeddings.word_embeddings.weight is {list(words.shape)} but config.json implies width "
                         f"{width}; the config.json does not belong to these weights")
    family = "bert" if model_type == "bert" else "electra" if electra else "roberta"
    dense, norm, decoder, biases = _HEADS[family]
    head = MLMHead(load_linear(ckpt, dense, (width, hidden), base=False),
                   act if family == "bert" else gelu, load_norm(ckpt, norm, width, eps, base=False),
                   decoder_weight(ckpt, config, decoder, words), decoder_bias(ckpt, config, biases, vocab))
    return BertNetwork(
        words=words,
        positions=ckpt.get("embeddings.position_embeddings.weight", base=True,
                           shape=(hp_int(config, "max_position_embeddings", 512), width)),
        types=ckpt.get("embeddings.token_type_embeddings.weight", base=True,
                       shape=(hp_int(config, "type_vocab_size", 2), width)),
        norm=load_norm(ckpt, "embeddings.LayerNorm", width, eps),
        project=load_linear(ckpt, "embeddings_project", (hidden, width)) if electra and width != hidden else None,
        layers=[load_bert_layer(ckpt, f"encoder.layer.{i}", hidden, inner, heads, eps, act)
                for i in range(hp_int(config, "num_hidden_layers", 12))],
        head=head,
        padding_idx=hp_int(config, "pad_token_id", 1, minimum=0) if model_type in OFFSET_POSITION_MODELS else None)
