"""g. Describe and verify an export variant: graph interface, ORT vs torch, and the variant on its golden case."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .cases import cross_entropy_np
from .models import model_inputs, torch_logits
from .onnx_export import verification_batches
from .specs import ExportError
from .variant_feeds import position_ids, run_variant

if TYPE_CHECKING:
    from .exported import ExportedModel
    from .variant_exports import VariantSpec

MAX_ONNX_BYTES = 2 * 1024 * 1024


def describe_values(values: Sequence[onnx.ValueInfoProto]) -> list[dict[str, Any]]:
    """[{"name", "dtype" (numpy name), "shape" (ints for static dims, names for dynamic ones)}]."""
    described = []
    for value in values:
        tensor = value.type.tensor_type
        shape = [dim.dim_param if dim.HasField("dim_param") else dim.dim_value for dim in tensor.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
        described.append({"name": value.name, "dtype": dtype, "shape": shape})
    return described


def describe_variant(
    spec: VariantSpec, path: Path, model: PreTrainedModel, tok: PreTrainedTokenizerFast, export: dict[str, Any]
) -> dict[str, Any]:
    """The variant's manifest entry before verification (the run_variant rules included)."""
    graph = onnx.load(str(path)).graph
    rule = dict(spec.position_ids) if spec.position_ids else None
    if rule and rule["kind"] == "padding_idx_cumsum":
        rule["padding_idx"] = int(model.config.pad_token_id)
    entry = {
        "dir": f"variants/{spec.name}",
        "base_model": spec.base,
        "case": spec.case,
        "description": spec.description,
        "inputs": describe_values(graph.input),
        "outputs": describe_values(graph.output),
        "logits_output": spec.logits_output,
        "logits_dtype": spec.logits_dtype,
        "position_ids": rule,
        "pad_token_id": tok.pad_token_id,
        "tolerances": dict(spec.tolerances),
        "export": {key: value for key, value in export.items() if key != "fused_ops"},
    }
    if "fused_ops" in export:
        entry["fused_ops"] = export["fused_ops"]
    return entry


def check_interface(spec: VariantSpec, path: Path, entry: dict[str, Any], vocab_size: int) -> None:
    """Assert input dtypes/shapes, the position_ids input and the logits output the variant promises."""
    problems = []
    dynamic = spec.fixed_shape is None
    for value in entry["inputs"]:
        if value["dtype"] != spec.input_dtype:
            problems.append(f"input {value['name']} is {value['dtype']}")
        if dynamic != all(isinstance(dim, str) for dim in value["shape"]) or len(value["shape"]) != 2:
            problems.append(f"input {value['name']} shape {value['shape']}")
        if not dynamic and value["shape"] != list(spec.fixed_shape):
            problems.append(f"input {value['name']} shape {value['shape']} != {list(spec.fixed_shape)}")
    if ("position_ids" in [value["name"] for value in entry["inputs"]]) != bool(spec.position_ids):
        problems.append("position_ids input does not match the spec")
    logits = [value for value in entry["outputs"] if value["name"] == spec.logits_output]
    if len(logits) != 1 or logits[0]["dtype"] != spec.logits_dtype or len(logits[0]["shape"]) != 3:
        problems.append(f"logits output {spec.logits_output} {spec.logits_dtype} [B, L, V] not in {entry['outputs']}")
    elif logits[0]["shape"][-1] != vocab_size:
        problems.append(f"logits last dim {logits[0]['shape'][-1]} != {vocab_size}")
    if path.stat().st_size > MAX_ONNX_BYTES:
        problems.append(f"{path.stat().st_size} bytes (> 2 MB)")
    if problems:
        raise ExportError(f"variant {spec.name}: " + "; ".join(problems))


def torch_with_position_ids(
    item: ExportedModel, rule: dict[str, Any], input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """torch logits given explicit position ids computed by the variant's rule (checked against HF's)."""
    positions = position_ids(rule, input_ids)
    if rule["kind"] == "padding_idx_cumsum":
        embeddings = item.model.base_model.embeddings
        hf = embeddings.create_position_ids_from_input_ids(torch.from_numpy(input_ids), rule["padding_idx"])
        if not np.array_equal(hf.numpy(), positions):
            raise ExportError(f"{item.spec.name}: position ids differ from create_position_ids_from_input_ids")
    with torch.no_grad():
        inputs = model_inputs(item.spec, input_ids, attention_mask)
        return item.model(**inputs, position_ids=torch.from_numpy(positions)).logits.numpy()


def check_outputs(spec: VariantSpec, entry: dict[str, Any], session: ort.InferenceSession) -> None:
    """Every graph output has its declared rank and static dims at run time (one fixed-size batch)."""
    batch, length = spec.fixed_shape or (2, 9)
    feeds = {value["name"]: np.zeros((batch, length), dtype=value["dtype"]) for value in entry["inputs"]}
    feeds["attention_mask"] = np.ones_like(feeds["attention_mask"])
    for value, array in zip(entry["outputs"], session.run(None, feeds)):
        dims = value["shape"]
        if array.ndim != len(dims) or any(isinstance(d, int) and d != n for d, n in zip(dims, array.shape)):
            raise ExportError(f"variant {spec.name}: output {value['name']} {array.shape} vs declared {dims}")
        if array.shape[0] != batch or (array.ndim == 3 and array.shape[1] != length):
            raise ExportError(f"variant {spec.name}: output {value['name']} {array.shape} for [{batch}, {length}]")


def verify_variant(
    spec: VariantSpec,
    entry: dict[str, Any],
    session: ort.InferenceSession,
    item: ExportedModel,
    texts: Sequence[str],
    out: Path,
) -> dict[str, Any]:
    """ORT vs torch on the verification batches, then on the golden case; abort beyond the tolerances."""
    check_outputs(spec, entry, session)
    atol, rtol = spec.tolerances["logits_atol"], spec.tolerances["loss_rtol"]
    worst = positions_worst = 0.0
    shapes, skipped = [], []
    for label, input_ids, attention_mask in verification_batches(item.tok, texts, item.spec.train.seed):
        if spec.fixed_shape and input_ids.shape[1] > spec.fixed_shape[1]:
            skipped.append(label)
            continue
        expected = torch_logits(item.spec, item.model, input_ids, attention_mask)
        if entry["position_ids"]:
            explicit = torch_with_position_ids(item, entry["position_ids"], input_ids, attention_mask)
            positions_worst = max(positions_worst, float(np.abs(explicit - expected).max()))
        actual = run_variant(session, entry, input_ids, attention_mask)
        if actual.shape != expected.shape or actual.dtype != np.dtype(spec.logits_dtype):
            raise ExportError(f"variant {spec.name} [{label}]: logits {actual.shape} {actual.dtype}")
        diff = float(np.abs(actual.astype(np.float64) - expected).max())
        if not diff <= atol:
            raise ExportError(f"variant {spec.name} [{label}]: ORT vs torch max abs diff {diff:.3g} > {atol}")
        worst = max(worst, diff)
        shapes.append(list(input_ids.shape))
    if positions_worst > 1e-6:
        raise ExportError(f"variant {spec.name}: torch with explicit position ids differs by {positions_worst:.3g}")
    with np.load(out / "cases" / f"{spec.case}.npz", allow_pickle=False) as npz:
        case = {key: npz[key] for key in npz.files}
    logits = run_variant(
        session, entry, case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids")
    )
    case_diff = float(np.abs(logits.astype(np.float64) - case["logits"]).max())
    loss = float(case["loss"])
    case_rel = abs(cross_entropy_np(logits, case["labels"]) - loss) / abs(loss)
    if not (case_diff <= atol and case_rel <= rtol):
        raise ExportError(f"variant {spec.name} on {spec.case}: logits diff {case_diff:.3g}, loss rel {case_rel:.3g}")
    result = {
        "ort_vs_torch_max_abs": worst,
        "verified_batch_shapes": shapes,
        "case_logits_max_abs": case_diff,
        "case_loss_rel_diff": case_rel,
    }
    if spec.fixed_shape:
        result["skipped_batches_longer_than_fixed"] = skipped
    if entry["position_ids"]:
        result["torch_explicit_position_ids_vs_default_max_abs"] = positions_worst
    return result
