"""c. Export the models to ONNX with the dynamo exporter and verify ONNX Runtime against torch."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .models import model_inputs, pad_batch, torch_logits
from .specs import MAX_SEQUENCE_LENGTH, TOLERANCES, ExportError, ModelSpec


class LogitsOnly(torch.nn.Module):
    """Wraps a masked-LM model so that the exported graph has the single output ``logits``."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


class LogitsOnlyWithTypes(LogitsOnly):
    """Same as :class:`LogitsOnly` with ``token_type_ids`` (BERT)."""

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).logits


def export_onnx(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, path: Path) -> int:
    """Export with the dynamo exporter (dynamic batch/sequence, single file); return the opset."""
    wrapper = LogitsOnlyWithTypes(model) if "token_type_ids" in spec.input_names else LogitsOnly(model)
    wrapper.eval()
    enc = tok(["The cat sat on the mat.", "A dog.", ""], padding=True, return_tensors="np")
    example = model_inputs(spec, enc["input_ids"], enc["attention_mask"])
    args = tuple(example[name] for name in spec.input_names)
    batch = torch.export.Dim("batch", min=1, max=1024)
    sequence = torch.export.Dim("sequence", min=1, max=MAX_SEQUENCE_LENGTH)
    dynamic_shapes = {name: {0: batch, 1: sequence} for name in spec.input_names}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            dynamo=True,
            input_names=list(spec.input_names),
            output_names=["logits"],
            dynamic_shapes=dynamic_shapes,
            external_data=False,
            optimize=True,
        )
    strip_node_provenance(path)
    check_onnx_interface(spec, path, int(model.config.vocab_size))
    return max(
        entry.version for entry in onnx.load(str(path)).opset_import if entry.domain in ("", "ai.onnx")
    )


def strip_node_provenance(path: Path) -> None:
    """Drop the per-node debug metadata the dynamo exporter writes (source file, line, module path).

    It holds the absolute checkout path and the exporter's own line numbers, so without this the
    bytes of model.onnx would change with the directory and the source layout, not with the model.
    """
    model = onnx.load(str(path))
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            del node.metadata_props[:]
            for attr in node.attribute:
                graphs.extend([attr.g] if attr.HasField("g") else [])
                graphs.extend(attr.graphs)
    onnx.save(model, str(path))


def check_onnx_interface(spec: ModelSpec, path: Path, vocab_size: int) -> None:
    """Assert the graph's inputs/outputs: int64 [batch, sequence] in, float32 logits out."""
    graph = onnx.load(str(path)).graph
    names = [value.name for value in graph.input]
    if names != list(spec.input_names):
        raise ExportError(f"{path}: inputs {names}, expected {list(spec.input_names)}")
    for value in graph.input:
        dims = [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]
        if value.type.tensor_type.elem_type != onnx.TensorProto.INT64 or not all(
            isinstance(d, str) for d in dims
        ):
            raise ExportError(f"{path}: input {value.name} is not int64 [dynamic, dynamic]: {dims}")
    outputs = [(value.name, value.type.tensor_type.elem_type) for value in graph.output]
    if outputs != [("logits", onnx.TensorProto.FLOAT)]:
        raise ExportError(f"{path}: outputs {outputs}")
    last_dim = graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    if last_dim != vocab_size:
        raise ExportError(f"{path}: logits last dim {last_dim} != {vocab_size}")
    if path.stat().st_size > 2 * 1024 * 1024:
        raise ExportError(f"{path}: {path.stat().st_size} bytes (> 2 MB)")


def ort_session(path: Path) -> ort.InferenceSession:
    """A deterministic single-threaded CPU session."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_logits(
    spec: ModelSpec, session: ort.InferenceSession, input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """float32 logits from ONNX Runtime (token_type_ids = 0 for BERT)."""
    feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in spec.input_names:
        feeds["token_type_ids"] = np.zeros_like(input_ids)
    return session.run(["logits"], feeds)[0]


def verification_batches(
    tok: PreTrainedTokenizerFast, texts: Sequence[str], seed: int
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Batches with many batch sizes, lengths and paddings (right padding, as the library uses)."""
    nonempty = [text for text in texts if text.strip()]
    by_length = sorted(nonempty, key=lambda text: len(tok(text)["input_ids"]))
    long_text = " ".join(nonempty)

    def encode(batch: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        enc = tok(
            list(batch), padding=True, truncation=True, max_length=MAX_SEQUENCE_LENGTH, return_tensors="np"
        )
        return enc["input_ids"], enc["attention_mask"]

    batches = [
        ("empty string", *encode([""])),
        ("shortest alone", *encode(by_length[:1])),
        ("longest alone", *encode(by_length[-1:])),
    ]
    for start in range(0, len(nonempty), 8):
        batches.append((f"eval texts {start}..{start + 7}", *encode(nonempty[start : start + 8])))
    batches.append(("max length 128, padded", *encode([long_text, "Hi.", long_text[:200], ""])))
    batches.append(("same lengths, no padding", *encode([by_length[-1]] * 3)))
    rng = np.random.default_rng([seed, 99])
    lengths = rng.integers(1, 60, size=5)
    end_id = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id  # ESM: <eos>, no sep
    rows = [[tok.cls_token_id, *rng.integers(5, len(tok), size=n).tolist(), end_id] for n in lengths]
    batches.append(("random ids, 5 rows", *pad_batch(rows, tok.pad_token_id)))
    return batches


def verify_onnx(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, path: Path, texts: Sequence[str]
) -> dict[str, Any]:
    """Compare ONNX Runtime with torch on many batches; abort if max |diff| >= ort_logits_atol."""
    session = ort_session(path)
    worst = 0.0
    shapes = []
    for label, input_ids, attention_mask in verification_batches(tok, texts, spec.train.seed):
        expected = torch_logits(spec, model, input_ids, attention_mask)
        actual = ort_logits(spec, session, input_ids, attention_mask)
        if actual.shape != expected.shape or actual.dtype != np.float32:
            raise ExportError(
                f"{spec.name} [{label}]: ORT logits {actual.shape} {actual.dtype}, torch {expected.shape}"
            )
        # Padded positions are compared too: the library may look at them.
        diff = float(np.abs(actual - expected).max())
        worst = max(worst, diff)
        shapes.append(list(input_ids.shape))
        if not diff < TOLERANCES["ort_logits_atol"]:
            raise ExportError(f"{spec.name} [{label}]: ORT vs torch max abs diff {diff:.3g}")
    return {"ort_vs_torch_max_abs": worst, "verified_batch_shapes": shapes}
