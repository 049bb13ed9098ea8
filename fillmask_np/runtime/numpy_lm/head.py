"""The masked-LM head every supported family shares: dense -> activation -> layer norm -> decoder (+ bias),
run on the scored rows only, and the decoder weight tied to the word embeddings or stored apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .checkpoint import Checkpoint
from .layers import LayerNorm, Linear

__all__ = ["MLMHead", "decoder_weight", "decoder_bias"]


@dataclass(frozen=True)
class MLMHead:
    """transform (dense, activation, norm) then the [V, E] decoder and its [V] bias."""

    dense: Linear
    act: Callable[[np.ndarray], np.ndarray]
    norm: LayerNorm
    decoder: np.ndarray
    bias: np.ndarray | None

    @property
    def vocab_size(self) -> int:
        """Width of the logits."""
        return int(self.decoder.shape[0])

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """[M, H] hidden rows -> [M, V] float32 logits."""
        hidden = self.norm(self.act(self.dense(rows)))  # [M, H] -> [M, E]
        logits = hidden @ self.decoder.T  # [M, E] @ [E, V] -> [M, V]
        if self.bias is not None:
            logits += self.bias
        return logits


def decoder_weight(ckpt: Checkpoint, config: dict[str, Any], name: str, embeddings: np.ndarray) -> np.ndarray:
    """The decoder [V, E]: the word embeddings when config.json ties them (the default), else tensor ``name``."""
    if config.get("tie_word_embeddings", True) is not False:
        return embeddings
    return ckpt.get(name, shape=embeddings.shape)


def decoder_bias(ckpt: Checkpoint, config: dict[str, Any], names: tuple[str, ...], size: int) -> np.ndarray:
    """The decoder's bias: the first of ``names`` the checkpoint holds, tied order first.

    Tied (the default), transformers uses the head's own ``bias`` for the decoder's; untied, the decoder's.
    A checkpoint holding none of them is a ``ModelError`` naming the first.
    """
    order = names if config.get("tie_word_embeddings", True) is not False else names[::-1]
    found = next((name for name in order if ckpt.find(name) is not None), order[0])
    return ckpt.get(found, shape=(size,))
