"""Fold a QDQ-quantized MatMul into the node ONNX Runtime runs it as, bias included.

``quantize_static`` (QDQ format) writes ``MatMul(DequantizeLinear(QuantizeLinear(x)), DequantizeLinear(w_q))``
and points every consumer of ``x`` at the dequantized copy. Two fixes, same numbers for the MatMul:

1. ``MatMul`` [+ ``Add`` of a constant 1-D bias] becomes ``com.microsoft.MatMulIntegerToFloat(x_q, w_q, x_scale,
   w_scale, x_zero_point, w_zero_point[, bias])``: ONNX Runtime fuses the QDQ MatMul into that node at load time
   but leaves the bias ``Add`` outside it, a pass over every output (the [M, V] logits): on splade-tiny
   1.29-1.59x float32's speed unfolded, 1.47-1.79x folded (bench/INT8.md);
2. the other consumers of ``x`` (residual Adds, LayerNorms) read ``x`` itself again, as in float32 and as
   dynamic quantization leaves them: only the MatMuls see the quantized activations.
"""

from __future__ import annotations

from onnx import ModelProto, helper

from .ort_tools import drop_dead_nodes

__all__ = ["fold_qdq_matmuls"]

MS_DOMAIN = "com.microsoft"


def _bias(model: ModelProto, consumers: dict[str, list], out: str, inits: dict) -> tuple[str, str] | None:
    """``(bias, add output)`` when ``out``'s only consumer adds a constant 1-D bias to it, else None."""
    users = consumers.get(out, [])
    if len(users) != 1 or users[0].op_type != "Add" or list(users[0].input).index(out) != 0:
        return None
    bias = users[0].input[1]
    if bias not in inits or len(inits[bias].dims) != 1 or inits[bias].dims[0] <= 1:
        return None
    if any(o.name == out for o in model.graph.output):
        return None
    return bias, users[0].output[0]


def fold_qdq_matmuls(model: ModelProto) -> int:
    """Rewrite ``model`` in place (see the module docstring); returns how many MatMuls were folded."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    inits = {t.name: t for t in g.initializer}
    nodes, skip, folded = [], set(), 0
    for node in g.node:
        if id(node) in skip:
            continue
        a, w = (producer.get(x) for x in node.input[:2]) if node.op_type == "MatMul" else (None, None)
        if (a is None or w is None or a.op_type != "DequantizeLinear" or w.op_type != "DequantizeLinear"
                or w.input[0] not in inits or len(a.input) < 3 or len(w.input) < 3):
            nodes.append(node)
            continue
        inputs = [a.input[0], w.input[0], a.input[1], w.input[1], a.input[2], w.input[2]]
        out = node.output[0]
        bias = _bias(model, consumers, out, inits)
        if bias is not None:
            inputs.append(bias[0])
            out = bias[1]
            skip.add(id(consumers[node.output[0]][0]))
        nodes.append(helper.make_node("MatMulIntegerToFloat", inputs, [out], name=f"{node.name}_int8",
                                      domain=MS_DOMAIN))
        folded += 1
    dequantized = {n.output[0]: producer[n.input[0]].input[0] for n in g.node  # DQ(Q(x)) -> x, activations only
                   if n.op_type == "DequantizeLinear" and n.input[0] in producer
                   and producer[n.input[0]].op_type == "QuantizeLinear" and producer[n.input[0]].input[0] not in inits}
    for node in nodes:  # 2.: everything else reads the float activation again
        for k, x in enumerate(node.input):
            if x in dequantized:
                node.input[k] = dequantized[x]
    del g.node[:]
    g.node.extend(nodes)
    drop_dead_nodes(model)
    if folded and not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return folded
