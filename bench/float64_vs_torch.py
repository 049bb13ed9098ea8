"""The NumPy backend's float64 mode against torch's ``model.double()``, and every float32 path against it.

    python bench/float64_vs_torch.py                    # the nine golden families + splade-tiny (when present)
    python bench/float64_vs_torch.py bert esm

Dev-only (torch, transformers). Per family, on its ``<family>_p15`` golden case (every non-padding position):

* ``f64_rel``: max |NumPy float64 - torch float64| / max |torch float64|. torch keeps a few float32 steps inside
  a ``.double()`` model (its rotary tables; ESM-2 and ModernBERT apply rotary in float32; ModernBERT's eager
  softmax is float32); they are lifted to float64 here, as the NumPy float64 mode computes them;
* ``torch32`` / ``ort32`` / ``numpy32``: max |float32 logit - NumPy float64 logit| of torch eager, ONNX Runtime on
  the golden export and the NumPy backend in float32 (the issue's measure); ``rms_*``: the root mean square of the
  same differences over every logit (the typical error, which one unlucky logit does not decide).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import AutoModelForMaskedLM  # noqa: E402
from transformers.models.esm import modeling_esm  # noqa: E402
from transformers.models.modernbert import modeling_modernbert  # noqa: E402

import fillmask_np as fm  # noqa: E402

GOLDEN = BENCH.parent / "golden_data"
SPLADE = BENCH.parent.parent / "shared" / "real" / "splade-tiny"
FAMILIES = ["albert", "bert", "deberta_v2", "distilbert", "electra", "esm", "modernbert", "roberta", "xlm_roberta"]


def _rotary64(module: torch.nn.Module) -> None:
    """``module`` (a rotary embedding) computes inverse frequencies, angles, cos and sin in float64."""
    def forward(x: torch.Tensor, position_ids: torch.Tensor, layer_type: str | None = None) -> Any:
        config = module.config
        theta = config.rope_theta if layer_type is None else config.rope_parameters[layer_type]["rope_theta"]
        dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))  # [d/2]
        freqs = position_ids[..., None].to(torch.float64) * inv_freq  # [B, L, d/2]
        angles = torch.cat((freqs, freqs), dim=-1)
        return angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    module.forward = forward  # type: ignore[method-assign]


def _lift_float32_islands() -> None:
    """ESM's and ModernBERT's rotary application and ModernBERT's softmax keep a float64 model's dtype."""
    def apply_rotary(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                     unsqueeze_dim: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
        rotate = modeling_esm.rotate_half
        return q * cos + rotate(q) * sin, k * cos + rotate(k) * sin
    modeling_esm.apply_rotary_pos_emb = apply_rotary
    modeling_modernbert.apply_rotary_pos_emb = apply_rotary
    eager = modeling_modernbert.eager_attention_forward

    def eager64(*args: Any, **kwargs: Any) -> Any:
        softmax = F.softmax
        F.softmax = lambda x, dim=None, dtype=None, **kw: softmax(x, dim=dim, **kw)  # the input's dtype
        try:
            return eager(*args, **kwargs)
        finally:
            F.softmax = softmax
    modeling_modernbert.eager_attention_forward = eager64


def measure(directory: Path, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> dict[str, float]:
    """The figures of one checkpoint on one padded batch, at its non-padding positions."""
    positions = np.argwhere(mask == 1)
    reference = fm.NumpyMaskedLM(directory, precision="float64").masked_logits(ids, mask, types, positions)
    numpy32 = fm.NumpyMaskedLM(directory).masked_logits(ids, mask, types, positions)
    ort32 = fm.OnnxMaskedLM(directory).masked_logits(ids, mask, types, positions)
    model = AutoModelForMaskedLM.from_pretrained(str(directory), attn_implementation="eager").eval()
    feed = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if types is not None and "token_type_ids" in fm.NumpyMaskedLM(directory).input_names:
        feed["token_type_ids"] = torch.tensor(types)
    with torch.no_grad():
        torch32 = model(**feed).logits.numpy()[positions[:, 0], positions[:, 1]]
        model = model.double()
        for module in model.modules():
            if type(module).__name__.endswith("RotaryEmbedding"):
                _rotary64(module)
        torch64 = model(**feed).logits.numpy()[positions[:, 0], positions[:, 1]]
    paths = (("torch32", torch32), ("ort32", ort32), ("numpy32", numpy32))
    return {"rows": len(positions), "f64_rel": float(np.abs(reference - torch64).max() / np.abs(torch64).max()),
            **{name: float(np.abs(v - reference).max()) for name, v in paths},
            **{f"rms_{name}": float(np.sqrt(np.mean(np.square(v - reference)))) for name, v in paths}}


def main(argv: list[str]) -> int:
    """Print one JSON line per family."""
    torch.set_num_threads(2)
    _lift_float32_islands()
    for name in argv or [*FAMILIES, "splade-tiny"]:
        if name == "splade-tiny":
            if not SPLADE.is_dir():
                continue
            tok = fm.Tokenizer.from_dir(SPLADE)
            enc = tok.encode_batch(["The capital of France is Paris.", "A protein folds into its native state.",
                                    "It rained all day, so the match was postponed until the following week."])
            ids, mask = np.asarray(enc.input_ids), np.asarray(enc.attention_mask)
            figures = measure(SPLADE, ids, mask, np.zeros_like(ids))
        else:
            case = np.load(GOLDEN / "cases" / f"{name}_p15.npz")
            types = case["token_type_ids"] if "token_type_ids" in case.files else None
            figures = measure(GOLDEN / "models" / name, case["masked_input_ids"], case["attention_mask"], types)
        print(json.dumps({"family": name, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
