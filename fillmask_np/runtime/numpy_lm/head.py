"""The masked-LM head every supported family shares: dense -> activation -> layer norm -> decoder (+ bias),
run on the scored rows only, and the decoder weight tied to the word embeddings or stored apart.

The head computes in float64 whatever the model's precision (its logits are then rounded to it): the decoder's
float32 dot products were the largest float32 error source against the float64 reference (measured on the
nine golden families and splade-tiny, ``bench/float64_vs_torch.py``: a float32 head left the largest logit
error up to 1.18x torch float32's, a float64 head at most 0.86x), and it runs on the scored rows only. The dense
weight and the bias are widened to float64 once, at load. The decoder weight stays as stored (memory-mapped):
it is widened a chunk of vocabulary rows at a time (``chunks``, ``decode``), each chunk once for all the
sequences of a batch; a sequence's product with a chunk has a shape fixed by the sequence and the chunk, so its
logits are batch-invariant. The product runs states first, [m, E] @ [E, C]: bert-mini's head on one thread took
0.8x the time of the chunk-first [C, E] @ [E, m] with OpenBLAS's AVX-512 (SkylakeX) kernels, the same with its
AVX2 (Haswell) ones (``bench/blas_shapes.py`` times the product). A float64 copy of the decoder made
once (bert-mini: 62.5 MB) was measured no faster and not kept: it is read from memory on every call, twice the
bytes of the float32 chunks widened in cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .checkpoint import Checkpoint
from .layers import LayerNorm, Linear

__all__ = ["MLMHead", "decoder_weight", "decoder_bias"]

_CHUNK_BYTES = 1 << 20  # a float64 decoder chunk: [rows, E] within 1 MiB (measured fastest of 256 KiB-4 MiB)


@dataclass(frozen=True)
class MLMHead:
    """transform (dense, activation, norm) then the [V, E] decoder and its [V] bias."""

    dense: Linear
    act: Callable[[np.ndarray], np.ndarray]
    norm: LayerNorm
    decoder: np.ndarray
    bias: np.ndarray | None
    # float64 copies made once in __post_init__ (none where the weights are float64 already):
    dense64: np.ndarray = field(init=False, repr=False, compare=False)  # [E, H]
    bias64: np.ndarray | None = field(init=False, repr=False, compare=False)  # [V]

    def __post_init__(self) -> None:
        """Widen the dense weight and the decoder's bias to float64 once, for every call."""
        object.__setattr__(self, "dense64", np.asarray(self.dense.weight, dtype=np.float64))
        object.__setattr__(self, "bias64", None if self.bias is None else np.asarray(self.bias, dtype=np.float64))

    @property
    def vocab_size(self) -> int:
        """Width of the logits."""
        return int(self.decoder.shape[0])

    def transform(self, rows: np.ndarray) -> np.ndarray:
        """[M, H] hidden rows -> [M, E] float64: dense, activation and norm in float64."""
        hidden = rows.astype(np.float64) @ self.dense64.T  # [M, H] @ [H, E] -> [M, E]
        if self.dense.bias is not None:
            hidden += self.dense.bias
        return self.norm(self.act(hidden))

    def chunks(self) -> list[slice]:
        """The fixed vocabulary chunks ``decode`` takes, in order, covering [0, V)."""
        size = max(16, _CHUNK_BYTES // (8 * int(self.decoder.shape[1])))
        return [slice(start, min(start + size, self.vocab_size)) for start in range(0, self.vocab_size, size)]

    def decode(self, states: list[np.ndarray], part: slice) -> list[np.ndarray]:
        """Each sequence's [m, E] float64 ``transform`` rows -> its [m, C] float64 logits on vocabulary ``part``
        (one of ``chunks``), the chunk widened to float64 once for all of them."""
        weight = self.decoder[part].astype(np.float64)  # [C, E]
        bias = None if self.bias64 is None else self.bias64[part]  # [C]
        out = []
        for state in states:
            logits = state @ weight.T  # [m, E] @ [E, C] -> [m, C]
            if bias is not None:
                logits += bias
            out.append(logits)
        return out

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """[M, H] hidden rows -> [M, V] logits in the rows' dtype (computed in float64)."""
        state = self.transform(rows)  # [M, E]
        return np.concatenate([self.decode([state], part)[0] for part in self.chunks()], axis=1).astype(rows.dtype)


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
