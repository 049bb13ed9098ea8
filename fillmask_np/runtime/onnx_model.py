"""Run an exported masked LM with ONNX Runtime, reading its input contract from the graph.

The contract: input names (``input_ids``, ``attention_mask``, optional ``token_type_ids`` and
``position_ids``), their integer dtype (int64 or int32), fixed batch or sequence dimensions (the
batch is padded up to them and the padding trimmed off the outputs), and the logits output (the one
named by ``logits_output=``, else the one named ``logits``, else the only rank-3 float output, else
the rank-3 float output whose last dimension is the ``vocab_size`` of a config.json beside the model).

A model rewritten by ``fillmask-np optimize`` also takes ``masked_positions`` (int64 [M, 2]: batch
index, position) and returns logits [M, V] for those rows only (``gathers_positions``);
``masked_logits`` serves both kinds of model, ``__call__`` returns [B, L, V] for both.

``position_ids`` are filled the way the architecture computes them itself: ``0..L-1`` (BERT and
most), or, for RoBERTa-like models (config.json ``model_type`` roberta, xlm-roberta, camembert, ...),
``padding_idx + 1 + i`` for real tokens and ``padding_idx`` for padding, as HF's
``create_position_ids_from_input_ids``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from ..errors import InputFileError, ModelError, first_line
from ..text import check_input_file, file_sha256
from .compat import check_tokenizer_fits
from .contract import (
    OFFSET_POSITION_MODELS,
    POSITIONS_INPUT,
    InputSpec,
    config_int,
    config_path,
    find_logits,
    max_positions,
    read_config,
    read_inputs,
)
from .feeds import build_feed
from .onnx_proto import onnx_opsets, quantized_ops
from .protocol import check_inputs, check_positions
from .session import open_session

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["OnnxMaskedLM", "InputSpec"]


class OnnxMaskedLM:
    """An ONNX masked LM: ``model(input_ids, attention_mask)`` returns float logits [B, L, V].

    Args:
        path: the ``.onnx`` file, or a directory holding ``model.onnx``.
        providers: ONNX Runtime execution providers (default: CPU).
        threads: intra-op threads (default: ONNX Runtime's choice); inter-op threads are always 1.
        allow_spinning: False stops idle intra-op threads from spin-waiting (ONNX Runtime's
            ``session.intra_op.allow_spinning``), which frees the cores between runs; None keeps the default.
        logits_output: name of the logits output, for graphs with several float outputs.
        position_ids: how to fill a ``position_ids`` input: "auto" (from config.json's model_type),
            "arange" (0..L-1) or "padding_offset" (RoBERTa's, after the padding index).

    >>> model = OnnxMaskedLM("model.onnx")  # doctest: +SKIP
    >>> logits = model(batch.input_ids, batch.attention_mask)  # doctest: +SKIP
    """

    hub: dict[str, str] | None = None  # the Hub repo, revision and commit it came from (``hub.resolve_model``)

    def __init__(self, path: str | Path, *, providers: Sequence[str] | None = None, threads: int | None = None,
                 logits_output: str | None = None,
                 position_ids: Literal["auto", "arange", "padding_offset"] = "auto",
                 allow_spinning: bool | None = None) -> None:
        path = Path(path) if isinstance(path, (str, Path)) else path
        if isinstance(path, Path) and path.is_dir():
            if not (path / "model.onnx").exists():
                raise InputFileError(f"model directory {str(path)!r} holds no model.onnx; pass an .onnx file or an "
                                     f"export directory")
            path = path / "model.onnx"
        self.path = check_input_file(path, what="model file", fix="pass an .onnx file or an export directory")
        if Path(f"{self.path}.data").exists():  # ONNX Runtime reads it: a FIFO there would hang the load
            check_input_file(Path(f"{self.path}.data"), what="external data file", fix="export the model again")
        self.session = open_session(self.path, providers=providers, threads=threads, allow_spinning=allow_spinning)
        self.config = read_config(config_path(self.path))
        self.inputs, self.gathers_positions = read_inputs(self.session, path)
        self.output_name, self.vocab_size = find_logits(self.session, path, self.config, logits_output,
                                                        self.gathers_positions)
        self.max_positions = max_positions(self.config)
        if position_ids not in ("auto", "arange", "padding_offset"):
            raise ModelError(f"position_ids={position_ids!r} is not 'auto', 'arange' or 'padding_offset'")
        if position_ids == "auto" and "position_ids" in self.inputs and not self.config.get("model_type"):
            raise ModelError(f"model {str(path)!r} takes position_ids, but {str(config_path(self.path))!r} "
                             f"{'has no model_type' if self.config else 'does not exist'}, so how to fill them is "
                             f"unknown (BERT counts 0..L-1, RoBERTa after the padding index); set \"model_type\" in "
                             f"config.json (e.g. \"bert\" or \"roberta\"), or pass position_ids='arange' or "
                             f"'padding_offset' (--position-ids)")
        if position_ids == "auto":
            position_ids = "padding_offset" if self.config.get("model_type") in OFFSET_POSITION_MODELS else "arange"
        self.position_ids = position_ids

    # ----------------------------------------------------------------------------- contract
    @property
    def max_length(self) -> int | None:
        """Longest sequence the model accepts: its fixed length, or its config.json's position limit."""
        limits = [n for n in (self.fixed_length, self.max_positions) if n]
        return min(limits) if limits else None

    @property
    def _id_limit(self) -> int | None:
        """Ids must be below this: the logits width, else config.json's vocab_size (None: unknown)."""
        return self.vocab_size or config_int(self.config, "vocab_size")

    @property
    def fixed_batch(self) -> int | None:
        """The graph's fixed batch size, or None when it is dynamic."""
        return self.inputs["input_ids"].shape[0]

    @property
    def fixed_length(self) -> int | None:
        """The graph's fixed sequence length, or None when it is dynamic."""
        return self.inputs["input_ids"].shape[1]

    @property
    def name(self) -> str:
        """The model file's path, as messages and reports name the model."""
        return str(self.path)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The graph inputs the model is fed (``masked_positions`` included when it gathers positions)."""
        return tuple(self.inputs) + ((POSITIONS_INPUT,) if self.gathers_positions else ())

    @property
    def files(self) -> tuple[str, ...]:
        """The files the model was read from: the graph, its external data (``model.onnx.data``) and config.json."""
        beside = (Path(f"{self.path}.data"), config_path(self.path))
        return (str(self.path),) + tuple(str(p) for p in beside if p.is_file())

    def describe(self) -> dict[str, Any]:
        """Provenance of the model: path, sha256, opsets, quantized operators, providers, threads
        (``MaskedLM.describe``)."""
        hub = {"hub": self.hub} if self.hub else {}
        return {**hub, "backend": "onnx", "path": str(self.path), "sha256": file_sha256(self.path) if self.path.is_file() else None,
                "opsets": onnx_opsets(self.path), "quantized_ops": quantized_ops(self.path),
                "providers": self.session.get_providers(),
                "intra_op_threads": self.session.get_session_options().intra_op_num_threads,
                "gathers_positions": bool(self.gathers_positions), "cpu_count": os.cpu_count()}

    def check_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Refuse a tokenizer that cannot belong to this model, warn on one that probably does not
        (``compat.check_tokenizer_fits``: logits width, config.json's special ids)."""
        check_tokenizer_fits(self.name, self.vocab_size, self.config, tokenizer)

    # ----------------------------------------------------------------------------- running
    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                 token_type_ids: np.ndarray | None = None, *, pad_token_id: int = 0) -> np.ndarray:
        """Logits for a padded batch.

        Args:
            input_ids: [B, L] integer ids.
            attention_mask: [B, L] 1 for real tokens, 0 for padding.
            token_type_ids: [B, L] segment ids (zeros when omitted).
            pad_token_id: id written into the padding added up to a fixed sequence length.
        Returns:
            [B, L, V] float logits (float32, or float16 from a float16 graph); a model that
            ``gathers_positions`` runs its head on every position.
        """
        input_ids, attention_mask, token_type_ids = check_inputs(input_ids, attention_mask, token_type_ids,
                                                                 self._id_limit)
        batch, length = input_ids.shape
        if self.gathers_positions:
            every = np.indices((batch, length)).reshape(2, -1).T  # [B*L, 2], row-major
            rows = self.masked_logits(input_ids, attention_mask, token_type_ids, every, pad_token_id=pad_token_id)
            return rows.reshape(batch, length, rows.shape[-1])
        arrays, width = self._arrays(input_ids, attention_mask, token_type_ids)
        fixed_b = self.fixed_batch
        if fixed_b is None:
            return self._run(self._feed(arrays, 0, batch, width, pad_token_id))[:, :length]
        chunks = [self._run(self._feed(arrays, s, min(s + fixed_b, batch), width, pad_token_id, rows=fixed_b))
                  [: min(fixed_b, batch - s)] for s in range(0, batch, fixed_b)]
        return np.concatenate(chunks, axis=0)[:, :length]

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        """Logits at ``positions`` only, for either kind of model.

        Args:
            input_ids, attention_mask, token_type_ids, pad_token_id: as ``__call__``.
            positions: [M, 2] integer (batch index, position) pairs, e.g. ``np.argwhere(labels != -100)``.
        Returns:
            [M, V] float logits, row i for ``positions[i]``. A model that ``gathers_positions`` runs its
            head on these rows only; for any other model they are gathered from the [B, L, V] logits.
        """
        input_ids, attention_mask, token_type_ids = check_inputs(input_ids, attention_mask, token_type_ids,
                                                                 self._id_limit)
        positions = check_positions(positions, input_ids.shape)
        if not self.gathers_positions:
            return self(input_ids, attention_mask, token_type_ids, pad_token_id=pad_token_id)[
                positions[:, 0], positions[:, 1]]
        arrays, width = self._arrays(input_ids, attention_mask, token_type_ids)
        batch, step = input_ids.shape[0], self.fixed_batch or input_ids.shape[0]
        if step >= batch:  # one run: its [M, V] rows are the answer, no copy
            return self._run(self._feed(arrays, 0, batch, width, pad_token_id, rows=step), positions)
        out = None
        for s in range(0, batch, step):  # fixed-batch graphs: one run per block, positions rebased to it
            pick = np.flatnonzero((positions[:, 0] >= s) & (positions[:, 0] < s + step))
            if len(pick) == 0 and (out is not None or s + step < batch):
                continue
            rows = self._run(self._feed(arrays, s, min(s + step, batch), width, pad_token_id, rows=step),
                             positions[pick] - np.array([s, 0]))
            if out is None:
                out = np.empty((len(positions), rows.shape[-1]), dtype=rows.dtype)
            out[pick] = rows
        assert out is not None  # the last block always runs, so out is set
        return out

    def _arrays(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                token_type_ids: np.ndarray | None) -> tuple[dict[str, np.ndarray], int]:
        """The [B, L] inputs by name and the width to run them at (the fixed length, else L)."""
        length, fixed_l = input_ids.shape[1], self.fixed_length
        if fixed_l is not None and length > fixed_l:
            raise ModelError(f"sequence length {length} exceeds the model's fixed length {fixed_l}; "
                             f"truncate with max_length={fixed_l}")
        arrays = {"input_ids": input_ids, "attention_mask": np.asarray(attention_mask),
                  "token_type_ids": np.zeros_like(input_ids) if token_type_ids is None else np.asarray(token_type_ids)}
        return arrays, fixed_l or length

    def _feed(self, arrays: dict[str, np.ndarray], start: int, stop: int, width: int, pad_token_id: int,
              rows: int | None = None) -> dict[str, np.ndarray]:
        """The graph's inputs for rows [start, stop), padded to ``rows`` x ``width``."""
        padding_idx = config_int(self.config, "pad_token_id")
        return build_feed(self.inputs, arrays, start, stop, width, rows=rows, pad_token_id=pad_token_id,
                          position_ids=self.position_ids,
                          padding_idx=pad_token_id if padding_idx is None else padding_idx)

    def _run(self, feed: dict[str, np.ndarray], positions: np.ndarray | None = None) -> np.ndarray:
        """The logits output for ``feed``: [rows, width, V], or [M, V] when ``positions`` [M, 2] are given."""
        if positions is not None:
            feed = {**feed, POSITIONS_INPUT: np.ascontiguousarray(positions, dtype=np.int64)}
        try:
            (logits,) = self.session.run([self.output_name], feed)
        except Exception as exc:  # e.g. an id beyond the embedding table of a graph with a dynamic vocabulary
            raise ModelError(f"onnxruntime failed to run {str(self.path)!r} on a batch of shape "
                             f"{feed['input_ids'].shape} ({first_line(exc)}); check that the tokenizer belongs to "
                             f"this model and that max_length fits its position embeddings") from exc
        if self.vocab_size is None:
            self.vocab_size = int(logits.shape[-1])
        return logits
