"""``optimize``'s float32 graph passes in order (NaN guards, attention fusion, the masked-rows head, the last attention
layer on the masked rows), and the check that decides whether the fused attention is kept.

Needs the ``onnx`` package when run; imported by ``optimize.rewrite``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import FillMaskError
from .outcome import FP32_TOLERANCE

__all__ = ["attention_check", "attention_shape", "rewritten_graph"]

_HEAD_KEYS = ("num_attention_heads", "n_heads", "num_heads", "encoder_attention_heads")  # config.json's head count
_HIDDEN_KEYS = ("hidden_size", "dim", "d_model", "n_embd")  # and width


def attention_shape(config: dict[str, Any]) -> tuple[int, int]:
    """(attention heads, hidden width) from config.json's fields, 0 for a missing one."""
    heads, hidden = (next((int(config[k]) for k in keys if isinstance(config.get(k), int)), 0)
                     for keys in (_HEAD_KEYS, _HIDDEN_KEYS))
    return heads, hidden


def attention_check(original: Any, final: Path, *, seed: int, fused: bool) -> tuple[str | None, Any]:
    """(why a fused-attention model must be left unfused, or None; the check's result, None when it did not run)."""
    from ..runtime import OnnxMaskedLM
    from .check import compare

    try:
        result = compare(original, OnnxMaskedLM(final, logits_output=original.output_name), seed=seed)
    except FillMaskError as exc:
        if not fused:
            raise
        return f"did not run ({str(exc).splitlines()[0][:200]})", None
    if fused and not result.max_abs_diff <= FP32_TOLERANCE:
        return f"differed by {result.max_abs_diff:.3g}", result
    return None, result


def rewritten_graph(onnx: Any, src_file: Path, logits: str, *, fuse: bool, heads: int, hidden: int,
                    float32: bool = False, max_length: int | None = None
                    ) -> tuple[Any, Any, dict[str, int], dict[str, Any]]:
    """The float32 rewrite of ``src_file``: (model, head cut, fusions, the report's NaN-guard and attention fields).

    ``heads``, ``hidden``: attention heads and width from config.json, or 0 to leave the attention unfused;
    ``float32``: the model stays float32 (no int8 follows, whose calibration would see other rows): rotary
    ``rotate_half`` becomes one exact MatMul (``rotate_half``), the last attention's queries are computed on the
    masked rows (``query_rows``) and an unpadded branch skips the attention's mask bias (``unpadded_branch``, proven
    on masks up to ``max_length`` positions)."""
    from .attention_fusion import fuse_attention
    from .attention_rows import gather_last_attention
    from .graph_head import HeadCut, find_head, gather_head
    from .nan_guard import drop_nan_guards

    model = onnx.load(str(src_file))
    fusions: dict[str, int] = {}
    if fuse:
        from .ort_tools import fuse as fuse_model

        model, fusions = fuse_model(model)
    model, guards = drop_nan_guards(model)
    model, attention = fuse_attention(model, heads) if heads else (model, 0)
    rotations = 0
    if float32:  # an int8 pass would quantize the permutation MatMul
        from .rotate_half import fold_rotate_half

        model, rotations = fold_rotate_half(model)
    cut = find_head(model, logits)
    model = gather_head(model, logits, cut)
    model, moved, stops = gather_last_attention(model, hidden) if attention else (model, [], [])
    if moved and float32:
        from .query_rows import gather_query_rows

        model, query_ops = gather_query_rows(model)
        moved += query_ops
    branched = False
    if attention and float32:  # last: its If nodes read tensors that drop_dead_nodes cannot see them read
        from .unpadded_branch import branch_unpadded

        model, branched = branch_unpadded(model, max_length)
    point = ", ".join([repr(x) for x in stops] + ["the last attention's queries"]) if moved else cut.point
    cut = HeadCut(point, cut.nodes, dict(Counter(cut.ops) + Counter(moved)), cut.stopped_at)
    return model, cut, fusions, dict(nan_guards_dropped=guards, attention_fused=attention, attention_rows=bool(moved),
                                   unpadded_branch=branched, rotate_half_folded=rotations)
