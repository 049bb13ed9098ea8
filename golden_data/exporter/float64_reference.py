"""d. The float64 reference: every family's ``<family>_p15`` case batch run by torch in float64.

``model.double()`` (a copy, from the float32 weights) runs the case's padded, masked batch; the float64 logits
at the case's masked positions go to ``cases/float64_<family>.npz``, and the manifest section records how far
torch float32 (the case's own logits) and ONNX Runtime float32 are from them, so a user sees how far float32 is
from exact.  Never imports ``fillmask_np``.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .exported import ExportedModel
from .files import save_npz
from .models import model_inputs
from .onnx_export import ort_logits
from .specs import IGNORE_INDEX, TOLERANCES, ExportError

DEFINITION = {
    "case": "the family's <family>_p15 golden case: its padded masked_input_ids and attention_mask, one batch",
    "logits": "torch float64 logits [N, V] at the case's masked positions (labels != -100), in row-major order; "
              "positions [N, 2] = (row, column)",
    "reference": "copy.deepcopy(model).double(): every weight and every operation in float64, from the float32 "
                 "weights, eval mode, no grad, token_type_ids = 0; HF's float32 islands lifted: rotary embeddings "
                 "(ESM-2, ModernBERT) get float64 inverse frequencies (from the config's theta), angles, cos and "
                 "sin and rotate q and k without casting them to float32, and a softmax asked for float32 (ModernBERT's "
                 "eager attention) computes in float64; ESM-2's token-dropout ratio stays float32 (as in torch)",
    "max_abs": "max |float32 logit - float64 logit| over the N rows",
    "max_rel": "max_abs / max |float64 logit| over the N rows",
    "tolerance": "tolerances.float64_logits_rtol: a float64 re-implementation's max_rel must not exceed it",
}


def rotary_float64(self: torch.nn.Module, x: torch.Tensor, position_ids: torch.Tensor,
                   layer_type: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A rotary embedding's ``forward`` in float64 (HF's computes the inverse frequencies, angles, cos and sin in
    float32 even in a ``.double()`` model): default RoPE, the inverse frequencies from the config's theta."""
    config = self.config
    theta = config.rope_theta if layer_type is None else config.rope_parameters[layer_type]["rope_theta"]
    scaling = getattr(self, "attention_scaling" if layer_type is None else f"{layer_type}_attention_scaling")
    dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))  # [dim / 2]
    freqs = position_ids[..., None].to(torch.float64) * inv_freq  # [B, L, dim / 2]
    angles = torch.cat((freqs, freqs), dim=-1)  # [B, L, dim]
    return angles.cos() * scaling, angles.sin() * scaling


def widened(model: torch.nn.Module) -> torch.nn.Module:
    """A float64 eval-mode copy of ``model`` whose rotary embeddings also compute in float64."""
    copied = copy.deepcopy(model).double().eval()
    for module in copied.modules():
        if type(module).__name__.endswith("RotaryEmbedding"):
            if any(kind != "default" for kind in getattr(module, "rope_type", {}).values()):
                raise ExportError(f"{type(module).__name__}: only default RoPE is widened to float64")
            module.forward = types.MethodType(rotary_float64, module)  # type: ignore[method-assign]
    return copied


@contextlib.contextmanager
def no_float32_islands(model: torch.nn.Module) -> Iterator[None]:
    """While open: the model's module applies rotary embeddings without casting q and k to float32 (ESM-2 and
    ModernBERT's ``apply_rotary_pos_emb`` call ``.float()``), and a softmax asked for float32 of a float64 input
    (ModernBERT's eager attention) computes in float64."""
    module = sys.modules[type(model).__module__]
    softmax = torch.nn.functional.softmax
    rotary = getattr(module, "apply_rotary_pos_emb", None)

    def softmax64(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
        wide = dtype == torch.float32 and input.dtype == torch.float64
        return softmax(input, dim=dim, _stacklevel=_stacklevel, dtype=torch.float64 if wide else dtype)

    def rotary64(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                 unsqueeze_dim: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
        return q * cos + module.rotate_half(q) * sin, k * cos + module.rotate_half(k) * sin

    torch.nn.functional.softmax = softmax64  # type: ignore[assignment]
    if rotary is not None:
        module.apply_rotary_pos_emb = rotary64
    try:
        yield
    finally:
        torch.nn.functional.softmax = softmax
        if rotary is not None:
            module.apply_rotary_pos_emb = rotary


def float64_logits(item: ExportedModel, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """float64 logits [B, L, V] of a float64 copy of ``item.model`` (the float32 model is left untouched)."""
    model = widened(item.model)
    with torch.no_grad(), no_float32_islands(model):
        logits = model(**model_inputs(item.spec, input_ids, attention_mask)).logits
    if logits.dtype != torch.float64:
        raise ExportError(f"{item.spec.name}: the float64 copy returned {logits.dtype} logits")
    return logits.numpy()


def errors(candidate: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """``max_abs`` and ``max_rel`` of float32 logits [N, V] against the float64 ones [N, V]."""
    max_abs = float(np.abs(candidate.astype(np.float64) - reference).max())
    return {"max_abs": max_abs, "max_rel": max_abs / float(np.abs(reference).max())}


def float64_family(item: ExportedModel, case_name: str, out: Path) -> dict[str, Any]:
    """Write ``cases/float64_<family>.npz`` from the case ``case_name``; return its manifest entry."""
    with np.load(out / "cases" / f"{case_name}.npz", allow_pickle=False) as case:
        masked, attention, labels = case["masked_input_ids"], case["attention_mask"], case["labels"]
        torch32 = case["logits"]
    positions = np.argwhere(labels != IGNORE_INDEX).astype(np.int64)  # [N, 2]
    rows, columns = positions[:, 0], positions[:, 1]
    reference = float64_logits(item, masked, attention)[rows, columns]  # [B, L, V] -> [N, V]
    ort32 = ort_logits(item.spec, item.session, masked, attention)[rows, columns]  # [N, V]
    if not np.isfinite(reference).all():
        raise ExportError(f"{case_name}: {int((~np.isfinite(reference)).sum())} float64 logits are not finite")
    torch_errors, ort_errors = errors(torch32[rows, columns], reference), errors(ort32, reference)
    if torch_errors["max_rel"] > 1e-4 or ort_errors["max_rel"] > 1e-4:
        raise ExportError(f"{case_name}: float32 is far from float64: torch {torch_errors}, ORT {ort_errors}")
    relative = f"cases/float64_{item.spec.name}.npz"
    save_npz(out / relative, {"positions": positions, "logits": reference})
    return {
        "case": case_name,
        "file": relative,
        "n_rows": int(positions.shape[0]),
        "max_abs_logit": float(np.abs(reference).max()),
        "torch_float32": torch_errors,
        "onnxruntime_float32": ort_errors,
    }


def float64_section(exported: dict[str, ExportedModel], out: Path) -> dict[str, Any]:
    """The manifest's ``float64`` section: one entry per exported family, plus the definitions."""
    return {
        "definition": DEFINITION,
        "tolerance_rel": TOLERANCES["float64_logits_rtol"],
        "families": {name: float64_family(item, f"{name}_p15", out) for name, item in sorted(exported.items())},
    }
