"""Run an exported masked LM with ONNX Runtime, reading its input contract from the graph.

The contract: input names (``input_ids``, ``attention_mask``, optional ``token_type_ids`` and
``position_ids``), their integer dtype (int64 or int32), fixed batch or sequence dimensions (the
batch is padded up to them and the padding trimmed off the outputs), and the logits output (named
``logits``, or the only rank-3 float output).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .errors import InputFileError, ModelError, TokenizerError, _first_line

if TYPE_CHECKING:  # pragma: no cover
    from .tokenizer import Tokenizer

__all__ = ["OnnxMaskedLM", "InputSpec"]

SUPPORTED_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")
_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
_FLOAT_TYPES = ("tensor(float)", "tensor(float16)", "tensor(double)")
_OFFSET_POSITION_MODELS = ("roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text", "xmod")


@dataclass(frozen=True)
class InputSpec:
    """One graph input: its name, numpy dtype and shape (int for fixed dims, None for dynamic)."""

    name: str
    dtype: type
    shape: tuple[int | None, ...]


def _max_positions(config_path: Path) -> int | None:
    """Longest input the position embeddings allow, from a transformers config.json beside the model."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        positions = int(config["max_position_embeddings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if config.get("model_type") in _OFFSET_POSITION_MODELS:  # positions start after the padding index
        positions -= int(config.get("pad_token_id", 1)) + 1
    return positions if positions > 0 else None


def _fixed(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


class OnnxMaskedLM:
    """An ONNX masked LM: ``model(input_ids, attention_mask)`` returns float logits [B, L, V].

    Args:
        path: the ``.onnx`` file, or a directory holding ``model.onnx``.
        providers: ONNX Runtime execution providers (default: CPU).
        threads: intra-op threads (default: ONNX Runtime's choice).

    >>> model = OnnxMaskedLM("model.onnx")  # doctest: +SKIP
    >>> logits = model(batch.input_ids, batch.attention_mask)  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, providers: Sequence[str] | None = None, threads: int | None = None) -> None:
        path = Path(path)
        if path.is_dir():
            path = path / "model.onnx"
        if not path.is_file():
            raise InputFileError(
                f"model file {str(path)!r} does not exist; pass an .onnx file or an export directory")
        self.path = path
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            if int(threads) < 1:
                raise ModelError(f"threads={threads!r} must be a positive number of threads")
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        providers = list(providers or ["CPUExecutionProvider"])
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types for every failure
            raise ModelError(f"onnxruntime cannot load {str(path)!r} as an ONNX model ({_first_line(exc)}); "
                             f"export the model to ONNX first (see the README)") from exc
        self.inputs = self._read_inputs()
        self.output_name, self.vocab_size = self._find_logits()
        self.max_positions = _max_positions(path.parent / "config.json")

    # ----------------------------------------------------------------------------- contract
    def _read_inputs(self) -> dict[str, InputSpec]:
        specs: dict[str, InputSpec] = {}
        for node in self.session.get_inputs():
            if node.name not in SUPPORTED_INPUTS:
                raise ModelError(f"model input {node.name!r} cannot be filled by a masked-LM evaluator; "
                                 f"supported inputs are {list(SUPPORTED_INPUTS)}: re-export the model without it")
            if node.type not in _INT_TYPES:
                raise ModelError(f"model input {node.name!r} has type {node.type!r}; expected int64 or int32")
            shape = tuple(_fixed(d) for d in node.shape)
            if len(shape) != 2:
                raise ModelError(f"model input {node.name!r} has shape {node.shape!r}; expected [batch, sequence]")
            specs[node.name] = InputSpec(node.name, _INT_TYPES[node.type], shape)
        if "input_ids" not in specs:
            raise ModelError(f"model {str(self.path)!r} has no 'input_ids' input (inputs: {list(specs)}); "
                             f"export it with input names input_ids/attention_mask")
        return specs

    def _find_logits(self) -> tuple[str, int | None]:
        outputs = self.session.get_outputs()
        named = [o for o in outputs if o.name == "logits"]
        candidates = named or [o for o in outputs if o.type in _FLOAT_TYPES and len(o.shape) == 3]
        if len(candidates) != 1:
            listing = [(o.name, o.type, o.shape) for o in outputs]
            raise ModelError(f"model {str(self.path)!r} has no single logits output (outputs: {listing}); "
                             f"name the [batch, sequence, vocab] output 'logits' when exporting")
        out = candidates[0]
        return out.name, _fixed(out.shape[-1]) if len(out.shape) == 3 else None

    @property
    def max_length(self) -> int | None:
        """Longest sequence the model accepts: its fixed length, or its config.json's position limit."""
        limits = [n for n in (self.fixed_length, self.max_positions) if n]
        return min(limits) if limits else None

    @property
    def fixed_batch(self) -> int | None:
        """The graph's fixed batch size, or None when it is dynamic."""
        return self.inputs["input_ids"].shape[0]

    @property
    def fixed_length(self) -> int | None:
        """The graph's fixed sequence length, or None when it is dynamic."""
        return self.inputs["input_ids"].shape[1]

    def check_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Raise ``TokenizerError`` when the model's vocabulary cannot hold the tokenizer's ids.

        A larger model vocabulary is fine (BERT pads its vocabulary to a multiple of 8).
        """
        if self.vocab_size is None:
            return
        mask_id = tokenizer.mask_token_id
        if self.vocab_size < len(tokenizer) or mask_id >= self.vocab_size:
            raise TokenizerError(
                f"model vocabulary has {self.vocab_size} entries but the tokenizer has {len(tokenizer)} "
                f"(mask id {mask_id}): they do not belong together; pass the tokenizer saved with this model"
            )

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
            [B, L, V] float logits (float32, or float16 from a float16 graph).
        """
        input_ids = np.asarray(input_ids)
        batch, length = input_ids.shape
        fixed_b, fixed_l = self.fixed_batch, self.fixed_length
        if fixed_l is not None and length > fixed_l:
            raise ModelError(f"sequence length {length} exceeds the model's fixed length {fixed_l}; "
                             f"truncate with max_length={fixed_l}")
        arrays = {"input_ids": input_ids, "attention_mask": np.asarray(attention_mask),
                  "token_type_ids": np.zeros_like(input_ids) if token_type_ids is None else np.asarray(token_type_ids)}
        width = fixed_l or length
        if fixed_b is None:
            return self._run(arrays, 0, batch, width, pad_token_id)[:, :length]
        chunks = [self._run(arrays, s, min(s + fixed_b, batch), width, pad_token_id, rows=fixed_b)
                  for s in range(0, batch, fixed_b)]
        return np.concatenate(chunks, axis=0)[:, :length]

    def _run(self, arrays: dict[str, np.ndarray], start: int, stop: int, width: int, pad_token_id: int,
             rows: int | None = None) -> np.ndarray:
        """Run rows [start, stop), padded to ``rows`` x ``width``; returns [stop - start, width, V]."""
        n = stop - start
        rows = rows or n
        length = arrays["input_ids"].shape[1]
        feed = {}
        for name, spec in self.inputs.items():
            if name == "position_ids":
                block = np.broadcast_to(np.arange(width, dtype=np.int64), (rows, width))
            else:
                fill = pad_token_id if name == "input_ids" else 0
                block = np.full((rows, width), fill, dtype=np.int64)
                block[:n, :length] = arrays[name][start:stop]
                if n < rows:  # filler rows repeat the first row, so the model sees ordinary input
                    block[n:, :length] = arrays[name][start]
            feed[name] = np.ascontiguousarray(block, dtype=spec.dtype)
        try:
            (logits,) = self.session.run([self.output_name], feed)
        except Exception as exc:  # e.g. an id beyond the embedding table of a graph with a dynamic vocabulary
            raise ModelError(f"onnxruntime failed to run {str(self.path)!r} on a batch of shape "
                             f"{feed['input_ids'].shape} ({_first_line(exc)}); check that the tokenizer belongs to "
                             f"this model and that max_length fits its position embeddings") from exc
        if self.vocab_size is None:
            self.vocab_size = int(logits.shape[-1])
        return logits[:n]
