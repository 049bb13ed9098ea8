"""g. How each export variant is produced: ``VariantSpec``, torch wrappers, dynamo / TorchScript exports, float16,
ORT optimizer."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx
import torch
from onnxruntime.transformers import optimizer
from onnxruntime.transformers.float16 import convert_float_to_float16
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .onnx_export import LogitsOnly, LogitsOnlyWithTypes, strip_node_provenance
from .specs import MAX_SEQUENCE_LENGTH, TOLERANCES, ExportError

BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FLOAT32_TOLERANCES = {
    "logits_atol": TOLERANCES["ort_logits_atol"],
    "loss_rtol": TOLERANCES["loss_rtol_ort_logits"],
    "why": "the base models' ORT vs torch tolerances (ort_logits_atol, loss_rtol_ort_logits)",
}


class Int32Inputs(LogitsOnly):
    """BERT logits from int32 inputs (cast to int64 inside the graph)."""

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.model(
            input_ids=input_ids.long(), attention_mask=attention_mask.long(), token_type_ids=token_type_ids.long()
        ).logits


class BertWithPositionIds(LogitsOnly):
    """BERT logits with an explicit ``position_ids`` input."""

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        position_ids: torch.Tensor,
    ) -> torch.Tensor:
        return self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
        ).logits


class RobertaWithPositionIds(LogitsOnly):
    """RoBERTa logits with an explicit ``position_ids`` input."""

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).logits


class ExtraOutputs(LogitsOnly):
    """BERT: (last_hidden_state [B, L, H], logits [B, L, V], first-token hidden state [B, H])."""

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.model.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return hidden, self.model.cls(hidden), hidden[:, 0]


@dataclass(frozen=True)
class Source:
    """What a variant is exported from: the trained model and its base ONNX file."""

    model: PreTrainedModel
    tok: PreTrainedTokenizerFast
    base_onnx: Path


@dataclass(frozen=True)
class VariantSpec:
    """One export variant; ``export`` writes the ONNX file and returns the manifest's ``export`` facts."""

    name: str
    base: str
    case: str
    description: str
    export: Callable[[Source, Path], dict[str, Any]]
    logits_output: str = "logits"
    logits_dtype: str = "float32"
    input_dtype: str = "int64"
    position_ids: dict[str, Any] | None = None
    fixed_shape: tuple[int, int] | None = None
    tolerances: dict[str, Any] = field(default_factory=lambda: dict(FLOAT32_TOLERANCES))


def example_args(source: Source, names: tuple[str, ...], shape: tuple[int, int] | None = None) -> tuple:
    """Padded example inputs for tracing (the fixed shape if given), in ``names`` order."""
    texts = ["The cat sat on the mat.", "A dog.", "", "Hi."]
    if shape is None:
        enc = source.tok(texts[:3], padding=True, return_tensors="np")
    else:
        rows = (texts * shape[0])[: shape[0]]
        enc = source.tok(rows, padding="max_length", max_length=shape[1], return_tensors="np")
    input_ids = torch.from_numpy(enc["input_ids"])
    inputs = {
        "input_ids": input_ids,
        "attention_mask": torch.from_numpy(enc["attention_mask"]),
        "token_type_ids": torch.zeros_like(input_ids),
        "position_ids": torch.arange(input_ids.shape[1]).expand_as(input_ids),
    }
    return tuple(inputs[name] for name in names)


def opset_of(path: Path) -> int:
    """The default-domain opset of an ONNX file."""
    return max(entry.version for entry in onnx.load(str(path)).opset_import if entry.domain in ("", "ai.onnx"))


def dynamo_export(
    module: torch.nn.Module,
    args: tuple,
    path: Path,
    input_names: tuple[str, ...],
    output_names: tuple[str, ...] = ("logits",),
    dynamic: bool = True,
) -> dict[str, Any]:
    """Export like ``onnx_export.export_onnx`` (dynamic [batch, sequence] unless ``dynamic`` is False)."""
    dynamic_shapes = None
    if dynamic:
        batch = torch.export.Dim("batch", min=1, max=1024)
        sequence = torch.export.Dim("sequence", min=1, max=MAX_SEQUENCE_LENGTH)
        dynamic_shapes = {name: {0: batch, 1: sequence} for name in input_names}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            args,
            str(path),
            dynamo=True,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_shapes=dynamic_shapes,
            external_data=False,
            optimize=True,
        )
    strip_node_provenance(path)
    return {"dynamo": True, "opset": opset_of(path)}


def dynamo_variant(
    wrapper: Callable[[PreTrainedModel], torch.nn.Module],
    names: tuple[str, ...],
    *,
    shape: tuple[int, int] | None = None,
    int32: bool = False,
    outputs: tuple[str, ...] = ("logits",),
) -> Callable[[Source, Path], dict[str, Any]]:
    """An ``export`` function: dynamo-export ``wrapper(model)`` with inputs ``names`` (static if ``shape``)."""

    def export(source: Source, path: Path) -> dict[str, Any]:
        args = example_args(source, names, shape)
        if int32:
            args = tuple(arg.to(torch.int32) for arg in args)
        return dynamo_export(wrapper(source.model), args, path, names, outputs, dynamic=shape is None)

    return export


def export_float16(source: Source, path: Path) -> dict[str, Any]:
    """Convert the base model's float32 ONNX file: float16 weights and logits, int64 inputs kept."""
    model = convert_float_to_float16(onnx.load(str(source.base_onnx)), keep_io_types=False)
    onnx.save(model, str(path))
    return {
        "dynamo": True,
        "opset": opset_of(path),
        "from": "the base model.onnx",
        "converted_with": "onnxruntime.transformers.float16.convert_float_to_float16(model, keep_io_types=False)",
    }


def export_ort_optimized(source: Source, path: Path) -> dict[str, Any]:
    """TorchScript export of eager attention + ORT's BERT optimizer (fused Attention).

    The optimizer's attention patterns match neither the dynamo graph nor TorchScript's SDPA graph
    (they fuse only LayerNorm/Gelu there); the TorchScript graph of eager attention fuses.
    """
    config = source.model.config
    eager = copy.deepcopy(source.model)
    eager.set_attn_implementation("eager")
    axes = {name: {0: "batch", 1: "sequence"} for name in (*BERT_INPUTS, "logits")}
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "torchscript.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LogitsOnlyWithTypes(eager).eval(),
                example_args(source, BERT_INPUTS),
                str(raw),
                dynamo=False,
                opset_version=17,
                input_names=list(BERT_INPUTS),
                output_names=["logits"],
                dynamic_axes=axes,
            )
        options = {"model_type": "bert", "num_heads": config.num_attention_heads, "hidden_size": config.hidden_size}
        optimized = optimizer.optimize_model(str(raw), opt_level=0, **options)
        optimized.save_model_to_file(str(path))
    strip_node_provenance(path)
    fused = {op: count for op, count in optimized.get_fused_operator_statistics().items() if count}
    attention = [
        node
        for node in onnx.load(str(path)).graph.node
        if node.domain == "com.microsoft" and node.op_type in ("Attention", "MultiHeadAttention")
    ]
    if not attention or len(attention) != fused.get("Attention", 0) + fused.get("MultiHeadAttention", 0):
        raise ExportError(f"{path}: fused attention nodes {len(attention)}, optimizer statistics {fused}")
    return {
        "dynamo": False,
        "opset": opset_of(path),
        "torch_export": "torch.onnx.export(dynamo=False, opset_version=17), attn_implementation='eager'",
        "optimizer": "onnxruntime.transformers.optimizer.optimize_model(model_type='bert', "
        f"num_heads={options['num_heads']}, hidden_size={options['hidden_size']}, opt_level=0)",
        "why": "dynamo and SDPA graphs do not match the optimizer's attention patterns (no Attention fused)",
        "fused_ops": fused,
    }
