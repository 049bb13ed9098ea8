"""optimize's rotate_half fold (fillmask_np/optimize/rotate_half.py): rotary's ``cat(-x[..., h:], x[..., :h])``
(two Slices, a Neg, a Concat) becomes one MatMul by a signed permutation, exactly: the same bits on a toy graph
and every logit of the rotary golden exports (ESM-2, ModernBERT) bit-identical; other slices are left alone."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.optimize import optimize_model
from fillmask_np.optimize.rotate_half import fold_rotate_half

from helpers import GOLDEN
from helpers.onnx_graphs import onnx

WIDTH = 16
BIG = np.iinfo(np.int64).max  # the exporter's "to the end"


def _toy(low: tuple[int, int], high: tuple[int, int]):
    """y = Concat(Neg(Slice(x, high)), Slice(x, low)) on the last axis of x [2, 3, 5, 16] float32."""
    from onnx import TensorProto, helper, numpy_helper

    consts = {"low_s": low[0], "low_e": low[1], "high_s": high[0], "high_e": high[1], "axis": 3}
    inits = [numpy_helper.from_array(np.array([v], dtype=np.int64), k) for k, v in consts.items()]
    nodes = [helper.make_node("Slice", ["x", "low_s", "low_e", "axis"], ["a"]),
             helper.make_node("Slice", ["x", "high_s", "high_e", "axis"], ["b"]),
             helper.make_node("Neg", ["b"], ["nb"]),
             helper.make_node("Concat", ["nb", "a"], ["y"], axis=-1)]
    graph = helper.make_graph(nodes, "rot", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5, WIDTH])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)


def _run(model, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


@pytest.mark.parametrize("h", [8, 5])
def test_rotate_half_becomes_one_exact_matmul(h):
    x = np.random.default_rng(h).standard_normal((2, 3, 5, WIDTH)).astype(np.float32) * 1e3
    before = _run(_toy((0, h), (h, BIG)), x)
    folded, count = fold_rotate_half(_toy((0, h), (h, BIG)))
    assert count == 1 and [n.op_type for n in folded.graph.node] == ["MatMul"]
    np.testing.assert_array_equal(_run(folded, x), before)
    np.testing.assert_array_equal(before, np.concatenate([-x[..., h:], x[..., :h]], axis=-1))


@pytest.mark.parametrize("low, high", [((0, 4), (8, BIG)), ((1, 8), (8, BIG)), ((0, 8), (8, 12))])
def test_other_slices_are_left_alone(low, high):
    model, count = fold_rotate_half(_toy(low, high))
    assert count == 0 and "MatMul" not in {n.op_type for n in model.graph.node}


@pytest.mark.parametrize("name", ["esm", "modernbert"])
def test_the_rotary_golden_exports_keep_every_logit(tmp_path, name):
    report = optimize_model(GOLDEN / "models" / name, tmp_path)
    assert report.rotate_half_folded == 4 and report.fp32_max_abs_diff == 0.0  # query and key, two layers
    assert any(line.startswith("rotary ") for line in report.summary())
    original, fast = fm.OnnxMaskedLM(GOLDEN / "models" / name), fm.OnnxMaskedLM(tmp_path)
    mask = (np.arange(23) < np.array([23, 11, 4])[:, None]).astype(np.int64)  # [3, 23]
    ids = np.where(mask == 1, np.random.default_rng(1).integers(5, 30, size=mask.shape), 1)
    positions = np.argwhere(mask == 1)
    expected = original(ids, mask, pad_token_id=1)[positions[:, 0], positions[:, 1]]
    np.testing.assert_array_equal(fast.masked_logits(ids, mask, None, positions, pad_token_id=1), expected)


def test_an_int8_model_keeps_its_rotary_ops(tmp_path):
    report = optimize_model(GOLDEN / "models" / "esm", tmp_path, int8="dynamic")
    assert report.rotate_half_folded == 0
