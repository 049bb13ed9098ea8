"""ESM-2 in NumPy, as transformers' ``EsmForMaskedLM``: pre-norm layers, rotary (or absolute) positions,
the query scaled by 1/sqrt(d) before the rotation, a final ``emb_layer_norm_after``, and token-dropout
scaling: with ``token_dropout`` the mask tokens' embeddings are zeroed and every embedding is multiplied
by ``(1 - 0.15 * 0.8) / (1 - mask_ratio_observed)``, the observed ratio being mask tokens / real tokens
of each row; embeddings are then zeroed at padding (``EsmEmbeddings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ..contract import fill_position_ids
from .attention import attend, default_inv_freq, merge_heads, padding_bias, rotary_tables, rotate, split_heads
from .checkpoint import Checkpoint
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_bool, hp_choice, hp_float, hp_int
from .layers import LayerNorm, Linear, embed, load_linear, load_norm, load_qkv
from .sequences import by_sequence
from .special import gelu

__all__ = ["EsmNetwork", "load_esm"]

_MASK_RATIO_TRAIN = 0.15 * 0.8  # hard-coded in transformers' EsmEmbeddings


@dataclass(frozen=True)
class EsmLayer:
    """One pre-norm ESM layer: attention (rotary when tables are given), then the GELU feed-forward."""

    attention_norm: LayerNorm
    qkv: tuple[Linear, Linear, Linear]
    output: Linear
    ffn_norm: LayerNorm
    ffn_in: Linear
    ffn_out: Linear
    heads: int

    def __call__(self, x: np.ndarray, bias: np.ndarray, rotary: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """[B, L, H] -> [B, L, H] float64: the residual stream is kept in float64 (it adds up every layer's
        output; rounding it to float32 at each add was ESM-2's largest float32 error), the norms' outputs go
        into the products in the weights' dtype."""
        kind = self.output.weight.dtype
        x = x.astype(np.float64, copy=False)
        h = self.attention_norm(x).astype(kind, copy=False)
        q, k, v = (split_heads(p(h), self.heads) for p in self.qkv)  # [B, h, L, d]
        q = q * q.shape[-1] ** -0.5  # a Python float: applied in q's dtype
        if rotary is not None:
            q, k = rotate(q, *rotary), rotate(k, *rotary)
        x = x + self.output(merge_heads(attend(q, k, v, bias, 1.0)))
        return x + self.ffn_out(gelu(self.ffn_in(self.ffn_norm(x).astype(kind, copy=False))))

    def at(self, x: np.ndarray, bias: np.ndarray, rotary: tuple[np.ndarray, np.ndarray] | None, batch: np.ndarray,
           position: np.ndarray) -> np.ndarray:
        """The layer's output at rows (``batch[i]``, ``position[i]``) only -> [M, H] float64: keys and values on
        every position, the queries, output projection and feed-forward block on those rows, a sequence at a time
        (a product over the rows of several sequences would make a row's bits depend on the others)."""
        return by_sequence(batch, np.empty((len(batch), x.shape[-1]), dtype=np.float64),  # [M, H]
                           lambda b, mine: self._at(x[b].astype(np.float64, copy=False), bias[b], rotary,
                                                    position[mine]))

    def _at(self, x: np.ndarray, bias: np.ndarray, rotary: tuple[np.ndarray, np.ndarray] | None,
            position: np.ndarray) -> np.ndarray:
        """``at`` on one sequence: [L, H] float64 states, its [1, 1, L] bias, [m] positions -> [m, H]."""
        kind = self.output.weight.dtype
        h = self.attention_norm(x).astype(kind, copy=False)  # [L, H]
        k, v = (split_heads(p(h)[None], self.heads)[0] for p in self.qkv[1:])  # [h, L, d]
        q = split_heads(self.qkv[0](h[position])[None], self.heads)[0]  # [h, m, d]
        q = q * q.shape[-1] ** -0.5
        if rotary is not None:
            q, k = rotate(q, rotary[0][position], rotary[1][position]), rotate(k, *rotary)
        y = x[position] + self.output(merge_heads(attend(q, k, v, bias, 1.0)[None])[0])  # [m, H]
        return y + self.ffn_out(gelu(self.ffn_in(self.ffn_norm(y).astype(kind, copy=False))))


@dataclass(frozen=True)
class EsmNetwork:
    """ESM's embeddings, layers, final norm and MLM head."""

    words: np.ndarray
    positions: np.ndarray | None  # absolute position embeddings, or None for rotary
    inv_freq: np.ndarray | None
    norm_before: LayerNorm | None
    layers: list[EsmLayer]
    norm_after: LayerNorm
    head: MLMHead
    padding_idx: int
    mask_token_id: int | None  # set when token_dropout is on
    uses_token_types: bool = False

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids and mask -> [B, L, H] last hidden states."""
        x, bias, rotary = self._embed(ids, mask)
        for layer in self.layers:
            x = layer(x, bias, rotary)
        return self.norm_after(x)

    def hidden_at(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, batch: np.ndarray,
                  position: np.ndarray) -> np.ndarray:
        """The last hidden states at rows (``batch[i]``, ``position[i]``) only -> [M, H]: the last layer runs its
        queries, output projection and feed-forward block on those rows alone."""
        x, bias, rotary = self._embed(ids, mask)
        for layer in self.layers[:-1]:
            x = layer(x, bias, rotary)
        rows = self.layers[-1].at(x, bias, rotary, batch, position) if self.layers else x[batch, position]
        return self.norm_after(rows)

    def _embed(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 tuple[np.ndarray, np.ndarray] | None]:
        """[B, L] ids and mask -> ([B, L, H] embeddings, [B, 1, 1, L] attention bias, rotary tables or None)."""
        x = embed(self.words, ids, "input id")  # [B, L, H]
        if self.mask_token_id is not None:
            masked = ids == self.mask_token_id  # [B, L]
            x[masked] = 0.0
            with np.errstate(divide="ignore", invalid="ignore"):  # an all-padding row is garbage, as in torch
                observed = masked.sum(-1).astype(np.float32) / mask.sum(-1).astype(np.float32)  # [B]
                x = x * (1 - _MASK_RATIO_TRAIN) / (np.float32(1.0) - observed)[:, None, None]  # float32 ratio
        if self.positions is not None:
            x += embed(self.positions, fill_position_ids(ids, "padding_offset", self.padding_idx), "position")
        if self.norm_before is not None:
            x = self.norm_before(x)
        x = x * mask[:, :, None].astype(np.float32)
        rotary = (None if self.inv_freq is None  # [L, d] each
                  else rotary_tables(self.inv_freq, ids.shape[1], dtype=x.dtype))
        return x, padding_bias(mask), rotary


def load_esm(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> EsmNetwork:
    """An ``EsmNetwork`` from an ESM masked-LM checkpoint."""
    if hp_bool(config, "is_decoder", False) or config.get("is_folding_model"):
        raise ModelError("config.json describes a decoder or ESMFold model, not a masked LM; pass an "
                         "EsmForMaskedLM checkpoint")
    hidden, heads = hp_int(config, "hidden_size", 768), hp_int(config, "num_attention_heads", 12)
    inner, eps = hp_int(config, "intermediate_size", 3072), hp_float(config, "layer_norm_eps", 1e-12)
    rotary = hp_choice(config, "position_embedding_type", "absolute", ("absolute", "rotary")) == "rotary"
    words = ckpt.get("embeddings.word_embeddings.weight", base=True)
    vocab, square = words.shape[0], (hidden, hidden)
    layers = []
    for i in range(hp_int(config, "num_hidden_layers", 12)):
        name = f"encoder.layer.{i}"
        layers.append(EsmLayer(load_norm(ckpt, f"{name}.attention.LayerNorm", hidden, eps),
                               load_qkv(ckpt, f"{name}.attention.self", ("query", "key", "value"), square),
                               load_linear(ckpt, f"{name}.attention.output.dense", square),
                               load_norm(ckpt, f"{name}.LayerNorm", hidden, eps),
                               load_linear(ckpt, f"{name}.intermediate.dense", (inner, hidden)),
                               load_linear(ckpt, f"{name}.output.dense", (hidden, inner)), heads))
    inv_freq = None
    if rotary:
        inv_freq = ckpt.optional("rotary_embeddings.inv_freq", base=True)  # saved (older files: per layer)
        if inv_freq is None:
            inv_freq = ckpt.optional("encoder.layer.0.attention.self.rotary_embeddings.inv_freq", base=True)
        if inv_freq is None:
            inv_freq = default_inv_freq(hp_float(config, "rope_theta", 10000.0), hidden // heads, dtype=ckpt.dtype)
    token_dropout = hp_bool(config, "token_dropout", False)
    mask_token_id = hp_int(config, "mask_token_id", None, minimum=0) if token_dropout else None
    head = MLMHead(load_linear(ckpt, "lm_head.dense", square, base=False), gelu,
                   load_norm(ckpt, "lm_head.layer_norm", hidden, eps, base=False),
                   decoder_weight(ckpt, config, "lm_head.decoder.weight", words),
                   decoder_bias(ckpt, config, ("lm_head.bias",), vocab))
    return EsmNetwork(
        words=ckpt.get("embeddings.word_embeddings.weight", base=True, shape=(vocab, hidden)),
        positions=None if rotary else ckpt.get("embeddings.position_embeddings.weight", base=True,
                                               shape=(hp_int(config, "max_position_embeddings", 1026), hidden)),
        inv_freq=inv_freq,
        norm_before=(load_norm(ckpt, "embeddings.layer_norm", hidden, eps)
                     if hp_bool(config, "emb_layer_norm_before", False) else None),
        layers=layers, norm_after=load_norm(ckpt, "encoder.emb_layer_norm_after", hidden, eps), head=head,
        padding_idx=hp_int(config, "pad_token_id", 1, minimum=0), mask_token_id=mask_token_id)
