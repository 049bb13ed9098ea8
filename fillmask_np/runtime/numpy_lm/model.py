"""``NumpyMaskedLM``: a Hugging Face checkpoint (config.json + safetensors) run by NumPy alone, behind the
``MaskedLM`` protocol, so ``evaluate``, ``compare``, ``pseudo_log_likelihood`` and ``fill_mask`` take it as
they take ``OnnxMaskedLM``. The LM head runs on the scored rows only (``gathers_positions``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InputFileError, ModelError
from ..compat import check_tokenizer_fits
from ..contract import max_positions, read_config
from ..protocol import check_inputs, check_positions
from .checkpoint import INDEX
from .registry import load_network

if TYPE_CHECKING:  # pragma: no cover
    from ...tokenization import Tokenizer

__all__ = ["NumpyMaskedLM"]


class NumpyMaskedLM:
    """A masked LM computed with NumPy from ``config.json`` and ``model.safetensors`` (or its shards).

    Args:
        path: the checkpoint directory (or its ``model.safetensors``).

    >>> model = NumpyMaskedLM.from_pretrained("splade-tiny/")  # doctest: +SKIP
    >>> logits = model(batch.input_ids, batch.attention_mask)  # doctest: +SKIP
    """

    gathers_positions = True

    def __init__(self, path: str | Path) -> None:
        if not isinstance(path, (str, Path)):
            raise InputFileError(f"path={path!r} is a {type(path).__name__}, not a path; pass the checkpoint "
                                 f"directory")
        path = Path(path)
        self.directory = path.parent if path.is_file() and path.suffix == ".safetensors" else path
        if not self.directory.is_dir():
            what = "is a file" if self.directory.exists() else "does not exist"
            raise InputFileError(f"model path {str(path)!r} {what}; pass a checkpoint directory holding "
                                 f"config.json and model.safetensors")
        if not (self.directory / "config.json").is_file():
            raise InputFileError(f"model directory {str(self.directory)!r} holds no config.json; save the model "
                                 f"with save_pretrained, which writes it beside the weights")
        self.config = read_config(self.directory / "config.json")
        self.network, self.checkpoint = load_network(self.directory, self.config)
        self.vocab_size: int = self.network.head.vocab_size
        self.max_length: int | None = max_positions(self.config)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> NumpyMaskedLM:
        """The checkpoint directory ``path`` (transformers' spelling of the constructor)."""
        return cls(path)

    @property
    def name(self) -> str:
        """The checkpoint directory, as messages and reports name the model."""
        return str(self.directory)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the model consumes."""
        return ("input_ids", "attention_mask") + (("token_type_ids",) if self.network.uses_token_types else ())

    @property
    def files(self) -> tuple[str, ...]:
        """The files the model was read from: config.json, the safetensors file(s) and a shard index."""
        index = self.directory / INDEX
        return (str(self.directory / "config.json"), *(str(f.path) for f in self.checkpoint.files),
                *((str(index),) if index.is_file() else ()))

    def check_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Refuse a tokenizer that cannot belong to this model (``compat.check_tokenizer_fits``)."""
        check_tokenizer_fits(self.name, self.vocab_size, self.config, tokenizer)

    def describe(self) -> dict[str, Any]:
        """Provenance: backend, path, sha256 of the safetensors file(s), stored dtype, model_type."""
        return {"backend": "numpy", "path": str(self.directory), "sha256": self.checkpoint.sha256(),
                "dtype": self.checkpoint.dtype_summary(), "model_type": self.config.get("model_type"),
                "gathers_positions": True}

    def _inputs(self, input_ids: Any, attention_mask: Any,
                token_type_ids: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Checked int64 [B, L] ids, mask and token types (or None)."""
        ids, mask, types = check_inputs(input_ids, attention_mask, token_type_ids, int(self.network.words.shape[0]))
        if self.max_length is not None and ids.shape[1] > self.max_length:
            raise ModelError(f"sequence length {ids.shape[1]} exceeds the limit of model {self.name!r} "
                             f"({self.max_length} positions); truncate with max_length={self.max_length}")
        return ids.astype(np.int64), mask.astype(np.int64), None if types is None else types.astype(np.int64)

    def _hidden(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """Checked inputs -> ([B, L] ids, [B, L, H] hidden states)."""
        ids, mask, types = self._inputs(input_ids, attention_mask, token_type_ids)
        return ids, self.network.hidden(ids, mask, types)

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        """Logits at ``positions`` only: the encoder on the batch, the LM head on those rows (and, for the
        BERT-like families, the last layer's position-wise part too: its queries, output projection and
        feed-forward block).

        Args:
            input_ids, attention_mask, token_type_ids: [B, L] integer arrays (types may be None).
            positions: [M, 2] integer (batch index, position) pairs.
            pad_token_id: accepted for the protocol; padding is read from ``attention_mask``.
        Returns:
            [M, V] float32 logits, row i for ``positions[i]``.
        """
        ids, mask, types = self._inputs(input_ids, attention_mask, token_type_ids)
        positions = check_positions(positions, ids.shape)
        batch, position = positions[:, 0], positions[:, 1]
        rows = self.network.hidden_at(ids, mask, types, batch, position)  # [M, H]
        return self.network.head(rows)  # [M, H] -> [M, V]

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                 token_type_ids: np.ndarray | None = None, *, pad_token_id: int = 0) -> np.ndarray:
        """[B, L] ids, mask (and token types) -> [B, L, V] float32 logits at every position."""
        ids, hidden = self._hidden(input_ids, attention_mask, token_type_ids)
        batch, length, width = hidden.shape
        return self.network.head(hidden.reshape(batch * length, width)).reshape(batch, length, -1)
