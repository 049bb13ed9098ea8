"""optimize's NaN-guard pass (fillmask_np/optimize/nan_guard.py): the exporter's Where(IsNaN(softmax)) after an
attention softmax with a finite mask is dropped, and the graph computes the same logits bit for bit, padding
included; a guard whose mask can be -inf, or that replaces NaN by anything but 0, is kept."""

from __future__ import annotations

import numpy as np
import pytest

from fillmask_np.optimize.nan_guard import drop_nan_guards

from helpers import GOLDEN
from helpers.onnx_graphs import TensorProto, helper, numpy_helper, onnx

ort = pytest.importorskip("onnxruntime")


def _session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _pad_heavy_batch(vocab: int, first_id: int) -> dict[str, np.ndarray]:
    """Rows of 19, 7, 2 and 1 real tokens padded to 19: most positions are padding."""
    rng = np.random.default_rng(0)
    lengths = [19, 7, 2, 1]
    ids = rng.integers(first_id, vocab, size=(len(lengths), max(lengths)))  # [4, 19]
    mask = (np.arange(max(lengths)) < np.array(lengths)[:, None]).astype(np.int64)  # [4, 19]
    return {"input_ids": np.where(mask == 1, ids, 1).astype(np.int64), "attention_mask": mask}


@pytest.mark.parametrize("name", ["bert", "roberta", "distilbert", "esm"])
def test_the_golden_exports_lose_both_guards_and_keep_every_logit(name):
    original = onnx.load(str(GOLDEN / "models" / name / "model.onnx"))
    rewritten, dropped = drop_nan_guards(onnx.load(str(GOLDEN / "models" / name / "model.onnx")))
    assert dropped == 2  # one per attention layer
    assert not any(node.op_type == "IsNaN" for node in rewritten.graph.node)
    onnx.checker.check_model(rewritten)
    batch = _pad_heavy_batch(vocab=33 if name == "esm" else 1000, first_id=4)
    session = _session(original)
    feed = {i.name: batch.get(i.name, np.zeros_like(batch["input_ids"])) for i in session.get_inputs()}
    (expected,) = session.run(None, feed)  # [4, 19, V]
    (got,) = _session(rewritten).run(None, feed)
    np.testing.assert_array_equal(got, expected)  # padded positions included


def _guarded_softmax(mask_value: float, replacement: float = 0.0):
    """out = Relu(Where(IsNaN(p), replacement, p)), p = Softmax(scores + Where(keep, 0, mask_value)): [2, 3]."""
    nodes = [helper.make_node("Where", ["keep", "zero", "masked"], ["bias"]),
             helper.make_node("Add", ["scores", "bias"], ["biased"]),
             helper.make_node("Softmax", ["biased"], ["probs"], axis=-1),
             helper.make_node("IsNaN", ["probs"], ["is_nan"]),
             helper.make_node("Where", ["is_nan", "replacement", "probs"], ["guarded"]),
             helper.make_node("Relu", ["guarded"], ["out"])]
    constants = [numpy_helper.from_array(np.array(v, dtype=np.float32), n)
                 for n, v in (("zero", 0.0), ("masked", mask_value), ("replacement", replacement))]
    graph = helper.make_graph(nodes, "guard", [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [2, 3]),
                                               helper.make_tensor_value_info("keep", TensorProto.BOOL, [2, 3])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3])], initializer=constants)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_guard_after_a_finite_mask_is_dropped_even_for_a_row_with_no_key():
    model = _guarded_softmax(float(np.finfo(np.float32).min))
    feed = {"scores": np.array([[0.5, -2.0, 3.0], [1.0, 2.0, -1.0]], dtype=np.float32),
            "keep": np.array([[True, False, True], [False, False, False]])}  # the second row attends to nothing
    (expected,) = _session(model).run(None, feed)
    rewritten, dropped = drop_nan_guards(_guarded_softmax(float(np.finfo(np.float32).min)))
    assert dropped == 1 and [n.op_type for n in rewritten.graph.node] == ["Where", "Add", "Softmax", "Relu"]
    (got,) = _session(rewritten).run(None, feed)
    np.testing.assert_array_equal(got, expected)


def test_a_guard_after_a_mask_of_minus_infinity_is_kept():
    """A row with no key to attend to is all -inf: its softmax is NaN, which the guard turns into zeros."""
    rewritten, dropped = drop_nan_guards(_guarded_softmax(float("-inf")))
    assert dropped == 0 and [n.op_type for n in rewritten.graph.node].count("IsNaN") == 1


def test_a_where_that_replaces_nan_by_something_else_than_zero_is_kept():
    rewritten, dropped = drop_nan_guards(_guarded_softmax(float(np.finfo(np.float32).min), replacement=1.0))
    assert dropped == 0 and len(rewritten.graph.node) == 6
