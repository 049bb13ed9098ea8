"""Tiny hand-built ONNX graphs for contract tests: logits = table[input_ids] (no torch needed), and a graph
whose logits mix positions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

onnx = __import__("pytest").importorskip("onnx", reason="the test extra installs onnx to build toy graphs")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def lookup_model(path: Path, table: np.ndarray, *, batch: int | str = "batch", length: int | str = "sequence",
                 int_type: int = TensorProto.INT64, inputs: tuple[str, ...] = ("input_ids", "attention_mask"),
                 output: str = "logits", extra_output: bool = False, logits: bool = True,
                 hidden_output: str | None = None) -> Path:
    """A graph whose logits for token t are ``table[t]``: [B, L] ids -> [B, L, V] float32.

    With a ``position_ids`` input the logits are ``table[input_ids + position_ids]``. ``hidden_output``
    adds, before the logits, a second rank-3 float output of that name: [B, L, 3] "hidden states".
    """
    vocab = table.shape[1]
    graph_inputs = [helper.make_tensor_value_info(n, int_type, [batch, length]) for n in inputs]
    index = "input_ids"
    nodes = []
    if "position_ids" in inputs:
        nodes.append(helper.make_node("Add", ["input_ids", "position_ids"], ["shifted_ids"]))
        index = "shifted_ids"
    outputs = []
    initializers = [numpy_helper.from_array(table.astype(np.float32), "table")]
    if hidden_output:
        initializers.append(numpy_helper.from_array(table[:, :3].astype(np.float32), "hidden_table"))
        nodes.append(helper.make_node("Gather", ["hidden_table", index], [hidden_output], axis=0))
        outputs.append(helper.make_tensor_value_info(hidden_output, TensorProto.FLOAT, [batch, length, 3]))
    if logits:
        nodes.append(helper.make_node("Gather", ["table", index], [output], axis=0))
        outputs.append(helper.make_tensor_value_info(output, TensorProto.FLOAT, [batch, length, vocab]))
    if extra_output or not logits:
        nodes.append(helper.make_node("Identity", ["input_ids"], ["ids_copy"]))
        outputs.append(helper.make_tensor_value_info("ids_copy", int_type, [batch, length]))
    graph = helper.make_graph(nodes, "lookup", graph_inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def sequence_softmax_model(path: Path, table: np.ndarray) -> Path:
    """``lookup_model`` followed by a Softmax over the sequence axis (node 'seq_softmax'): its logits mix
    positions, so the graph has no position-wise LM head to cut at."""
    lookup_model(path, table)
    model = onnx.load(str(path))
    model.graph.node[0].output[0] = "looked_up"
    model.graph.node.append(helper.make_node("Softmax", ["looked_up"], ["logits"], axis=1, name="seq_softmax"))
    onnx.save(model, str(path))
    return path
