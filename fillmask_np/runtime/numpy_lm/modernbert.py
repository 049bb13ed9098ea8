"""ModernBERT in NumPy, as transformers' ``ModernBertForMaskedLM``: normed token embeddings (no positions),
pre-norm layers (no norm before layer 0's attention) with fused ``Wqkv``, rotary embeddings with one theta
for global and one for local layers, local layers attending within ``local_attention // 2`` tokens either
side, a gated MLP (``act(input) * gate``), a final norm, head ``dense -> act -> norm`` and the decoder;
biases and norm biases only where config.json says (``attention_bias``, ``mlp_bias``, ``norm_bias``,
``classifier_bias``, ``decoder_bias``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ...errors import ModelError
from .attention import attend, default_inv_freq, merge_heads, rotary_tables, rotate
from .checkpoint import Checkpoint
from .head import MLMHead, decoder_bias, decoder_weight
from .hparams import hp_bool, hp_float, hp_int
from .layers import LayerNorm, Linear, embed, load_linear, load_norm
from .network import AllPositions
from .special import activation

__all__ = ["ModernBertNetwork", "load_modernbert"]

_MIN = np.finfo(np.float32).min
_THETA = {"full_attention": ("global_rope_theta", 160000.0), "sliding_attention": ("local_rope_theta", 10000.0)}


@dataclass(frozen=True)
class ModernBertLayer:
    """One ModernBERT layer; ``kind`` is ``full_attention`` or ``sliding_attention``."""

    attention_norm: LayerNorm | None
    qkv: Linear
    output: Linear
    mlp_norm: LayerNorm
    mlp_in: Linear
    act: Callable[[np.ndarray], np.ndarray]
    mlp_out: Linear
    heads: int
    kind: str

    def __call__(self, x: np.ndarray, bias: np.ndarray, rotary: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """[B, L, H] -> [B, L, H] float64: the residual stream is kept in float64 (it adds up every layer's
        output), the norms' outputs go into the products in the weights' dtype."""
        batch, length, width = x.shape
        kind = self.output.weight.dtype
        x = x.astype(np.float64, copy=False)
        h = (x if self.attention_norm is None else self.attention_norm(x)).astype(kind, copy=False)
        qkv = self.qkv(h).reshape(batch, length, 3, self.heads, width // self.heads)  # [B, L, 3, h, d]
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))  # [B, h, L, d]
        q, k = rotate(q, *rotary), rotate(k, *rotary)
        x = x + self.output(merge_heads(attend(q, k, v, bias, q.shape[-1] ** -0.5)))
        hidden, gate = np.split(self.mlp_in(self.mlp_norm(x).astype(kind, copy=False)), 2, axis=-1)  # [B, L, I] each
        return x + self.mlp_out(self.act(hidden) * gate)


@dataclass(frozen=True)
class ModernBertNetwork(AllPositions):
    """ModernBERT's embeddings, layers, final norm and MLM head."""

    words: np.ndarray
    norm: LayerNorm
    layers: list[ModernBertLayer]
    final_norm: LayerNorm
    inv_freq: dict[str, np.ndarray]  # layer kind -> [d/2]
    window: int
    head: MLMHead
    uses_token_types: bool = False

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """[B, L] ids and mask -> [B, L, H] last hidden states."""
        length = ids.shape[1]
        x = self.norm(embed(self.words, ids, "input id"))  # [B, L, H]
        keys = (mask != 0)[:, None, None, :]  # [B, 1, 1, L]
        near = np.abs(np.arange(length)[:, None] - np.arange(length)[None, :]) <= self.window  # [L, L]
        biases = {"full_attention": np.where(keys, np.float32(0.0), _MIN).astype(np.float32),
                  "sliding_attention": np.where(keys & near, np.float32(0.0), _MIN).astype(np.float32)}
        rotary = {kind: rotary_tables(freq, length, dtype=x.dtype) for kind, freq in self.inv_freq.items()}
        for layer in self.layers:
            x = layer(x, biases[layer.kind], rotary[layer.kind])
        return self.final_norm(x)


def _layer_kinds(config: dict[str, Any], count: int) -> list[str]:
    """Each layer's attention kind: config.json's layer_types, else every ``global_attn_every_n_layers``-th global."""
    kinds = config.get("layer_types")
    if kinds is None:
        every = hp_int(config, "global_attn_every_n_layers", 3)
        kinds = ["sliding_attention" if i % every else "full_attention" for i in range(count)]
    if not isinstance(kinds, list) or len(kinds) != count or not set(kinds) <= set(_THETA):
        raise ModelError(f"config.json layer_types={kinds!r} is not {count} of {sorted(_THETA)}; fix config.json")
    return kinds


def _inv_freq(config: dict[str, Any], kind: str, dim: int, dtype: np.dtype[Any]) -> np.ndarray:
    """The default-RoPE inverse frequencies of one layer kind (rope_parameters, else the older theta keys)."""
    legacy_key, default = _THETA[kind]
    params = (config.get("rope_parameters") or {}).get(kind) or {}
    if params.get("rope_type", "default") != "default":
        raise ModelError(f"config.json rope_parameters[{kind!r}] has rope_type={params['rope_type']!r}; the NumPy "
                         f"backend runs the default RoPE only")
    return default_inv_freq(hp_float(params, "rope_theta", hp_float(config, legacy_key, default)), dim, dtype=dtype)


def load_modernbert(ckpt: Checkpoint, config: dict[str, Any], model_type: str) -> ModernBertNetwork:
    """A ``ModernBertNetwork`` from a ModernBERT masked-LM checkpoint."""
    hidden, heads = hp_int(config, "hidden_size", 768), hp_int(config, "num_attention_heads", 12)
    inner, eps = hp_int(config, "intermediate_size", 1152), hp_float(config, "norm_eps", 1e-5)
    norm_bias, count = hp_bool(config, "norm_bias", False), hp_int(config, "num_hidden_layers", 22)
    attn_bias, mlp_bias = hp_bool(config, "attention_bias", False), hp_bool(config, "mlp_bias", False)
    act = activation(config.get("hidden_activation", "gelu"), key="hidden_activation")
    kinds = _layer_kinds(config, count)
    layers = [ModernBertLayer(
        None if i == 0 else load_norm(ckpt, f"layers.{i}.attn_norm", hidden, eps, bias=norm_bias),
        load_linear(ckpt, f"layers.{i}.attn.Wqkv", (3 * hidden, hidden), bias=attn_bias),
        load_linear(ckpt, f"layers.{i}.attn.Wo", (hidden, hidden), bias=attn_bias),
        load_norm(ckpt, f"layers.{i}.mlp_norm", hidden, eps, bias=norm_bias),
        load_linear(ckpt, f"layers.{i}.mlp.Wi", (2 * inner, hidden), bias=mlp_bias), act,
        load_linear(ckpt, f"layers.{i}.mlp.Wo", (hidden, inner), bias=mlp_bias), heads, kinds[i])
        for i in range(count)]
    words = ckpt.get("embeddings.tok_embeddings.weight", base=True)
    head = MLMHead(load_linear(ckpt, "head.dense", (hidden, hidden), base=False,
                               bias=hp_bool(config, "classifier_bias", False)),
                   activation(config.get("classifier_activation", "gelu"), key="classifier_activation"),
                   load_norm(ckpt, "head.norm", hidden, eps, base=False, bias=norm_bias),
                   decoder_weight(ckpt, config, "decoder.weight", words),
                   decoder_bias(ckpt, config, ("decoder.bias",), words.shape[0])
                   if hp_bool(config, "decoder_bias", True) else None)
    return ModernBertNetwork(
        words=ckpt.get("embeddings.tok_embeddings.weight", base=True, shape=(words.shape[0], hidden)),
        norm=load_norm(ckpt, "embeddings.norm", hidden, eps, bias=norm_bias), layers=layers,
        final_norm=load_norm(ckpt, "final_norm", hidden, eps, bias=norm_bias),
        inv_freq={kind: _inv_freq(config, kind, hidden // heads, ckpt.dtype) for kind in set(kinds)},
        window=hp_int(config, "local_attention", 128) // 2, head=head)
