"""The int8 candidates bench/int8_invariance.py compares, each written once into an export directory.

* ``fp32``, ``dynamic``, ``static``: what ``fm.optimize_model`` writes (int8=False / "dynamic" / True);
* ``static:<calibrate>:<format>[:unfolded]``: ``optimize.static_int8.quantize_static_int8`` with another
  calibration method, format or without the MatMulIntegerToFloat fold, on the same calibration feeds;
* ``per-row``: a bench-only rewrite, dynamic quantization with one scale per row (token) instead of one per
  tensor: ``s = max|x| / 127`` over the last axis, ``x_q = round(x / s) + 128`` (uint8, zero point 128),
  ``MatMulIntegerToFloat(x_q, w_q, 1, w_scale)`` times ``s``. Batch-invariant by construction.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

import fillmask_np as fm

SIDE = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def _copy_side(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in SIDE:
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)


def _untied_fp32(fp32_dir: Path):
    import onnx

    from fillmask_np.optimize.ort_tools import untie

    return untie(onnx.load(str(fp32_dir / "model.onnx")))[0]


def source_digest() -> str:
    """Hash of the optimizer's source and of this file, so that a changed optimizer rebuilds the candidates."""
    h = hashlib.sha256()
    for part in sorted((Path(fm.__file__).parent / "optimize").glob("*.py")) + [Path(__file__)]:
        h.update(part.read_bytes())
    return h.hexdigest()[:10]


def build(name: str, source: Path, cache: Path, fp32_dir: Path) -> Path:
    """Write candidate ``name`` under ``cache`` (once: into a temporary folder renamed into place) and return it."""
    final = cache / name.replace(":", "-")
    if (final / "model.onnx").is_file():
        return final
    out = final.with_name(final.name + ".partial")
    shutil.rmtree(out, ignore_errors=True)
    if name in ("fp32", "dynamic", "static"):
        fm.optimize_model(source, out, int8={"fp32": False}.get(name, name))
        os.replace(out, final)
        return final
    import onnx

    _copy_side(source, out)
    model = _untied_fp32(fp32_dir)
    if name == "per-row":
        per_row(model)
    else:
        from fillmask_np.optimize.calibration import calibration_feeds, calibration_text
        from fillmask_np.optimize.static_int8 import quantize_static_int8

        _, calibrate, fmt, *rest = name.split(":")
        text = calibration_text(None, source, samples=128)
        feeds = calibration_feeds(fm.OnnxMaskedLM(fp32_dir), text, seed=0).feeds
        model, _ = quantize_static_int8(model, feeds, calibrate=calibrate, quant_format=fmt, fold=not rest)
    onnx.save(model, str(out / "model.onnx"))
    os.replace(out, final)
    return final


def per_row(model) -> None:
    """Quantize every MatMul by a constant 2-D weight with per-row activation scales, in place."""
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_version = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 18
    consts = {"pr_inv127": np.float32(1 / 127), "pr_eps": np.float32(1e-30), "pr_c128": np.float32(128),
              "pr_one": np.float32(1), "pr_zp": np.uint8(128), "pr_axes": np.array([-1], dtype=np.int64)}
    g.initializer.extend(numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items())
    nodes = []
    for k, node in enumerate(g.node):
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight)  # [K, N]
        w_scale = (np.maximum(np.abs(w).max(axis=0), 1e-30) / 127).astype(np.float32)  # [N]
        p, x = f"pr{k}_", node.input[0]
        g.initializer.extend([numpy_helper.from_array(np.round(w / w_scale).astype(np.int8), p + "wq"),
                              numpy_helper.from_array(w_scale, p + "ws")])
        reduce = (helper.make_node("ReduceMax", [p + "abs", "pr_axes"], [p + "amax"], keepdims=1) if new_version
                  else helper.make_node("ReduceMax", [p + "abs"], [p + "amax"], keepdims=1, axes=[-1]))
        nodes += [helper.make_node("Abs", [x], [p + "abs"]), reduce,  # [..., 1] per row
                  helper.make_node("Mul", [p + "amax", "pr_inv127"], [p + "s0"]),
                  helper.make_node("Max", [p + "s0", "pr_eps"], [p + "s"]),
                  helper.make_node("Div", [x, p + "s"], [p + "xs"]), helper.make_node("Round", [p + "xs"], [p + "xr"]),
                  helper.make_node("Add", [p + "xr", "pr_c128"], [p + "x8"]),
                  helper.make_node("Cast", [p + "x8"], [p + "xq"], to=TensorProto.UINT8),
                  helper.make_node("MatMulIntegerToFloat", [p + "xq", p + "wq", "pr_one", p + "ws", "pr_zp"],
                                   [p + "y"], domain="com.microsoft"),
                  helper.make_node("Mul", [p + "y", p + "s"], [node.output[0]])]
    del g.node[:]
    g.node.extend(nodes)
    used = {x for n in g.node for x in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
