"""``optimize``: rotary embeddings' ``rotate_half`` as one ``MatMul`` by a constant signed permutation.

ESM-2's (and every transformers rotary model's) ``rotate_half(x) = cat(-x[..., h:], x[..., :h])`` is exported as two
``Slice`` nodes, a ``Neg`` and a ``Concat`` along the last axis: four passes over the query or key tensor. It is
``x @ P`` for the ``[D, D]`` matrix ``P`` with ``P[h + j, j] = -1`` (j < D - h) and ``P[j - (D - h), j] = 1``
(j >= D - h): each output element is one input element times -1 or 1 plus products by zero, so the product is exact
(a float32 rewrite; a zero may change its sign, which no sum or product after it can see).

Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper

from .attention_fusion import drop_dead_nodes
from .graph_index import Graph, attr
from .ort_tools import symbolic_shapes

__all__ = ["fold_rotate_half"]


def fold_rotate_half(model: ModelProto) -> tuple[ModelProto, int]:
    """Replace each float32 ``Concat(Neg(Slice(x, h:D)), Slice(x, 0:h))`` on the last axis by ``MatMul(x, P)``.

    Returns:
        (the model, how many were replaced); unchanged when none is found or the shapes are unknown.
    """
    g = Graph(model)
    found = [(i, *match) for i, node in enumerate(g.nodes) for match in [_rotate_half(g, node)] if match]
    if not found:
        return model, 0
    inferred = symbolic_shapes(model)
    if inferred is None:
        return model, 0
    types = {v.name: v.type.tensor_type for v in list(inferred.graph.value_info) + list(inferred.graph.input)}
    count = 0
    for i, x, h, far, axes in found:
        kind = types.get(x)
        dims = [] if kind is None else [d.dim_value if d.HasField("dim_value") else None for d in kind.shape.dim]
        node = g.nodes[i]
        if kind is None or kind.elem_type != TensorProto.FLOAT or not dims or not dims[-1] or \
                not 0 < h < dims[-1] <= far or any(a not in (-1, len(dims) - 1) for a in axes):
            continue
        width = int(dims[-1])
        weight = np.zeros((width, width), dtype=np.float32)  # [D, D]
        cut = width - h
        weight[h + np.arange(cut), np.arange(cut)] = -1.0
        weight[np.arange(h), cut + np.arange(h)] = 1.0
        name = f"{node.output[0]}_rotate_half"
        model.graph.initializer.append(numpy_helper.from_array(weight, name))
        node.CopyFrom(helper.make_node("MatMul", [x, name], [node.output[0]], name=f"{node.name}_rotate_half"))
        count += 1
    if count:
        drop_dead_nodes(model)
    return model, count


def _rotate_half(g: Graph, node: NodeProto) -> tuple[str, int, int, tuple[int, int, int]] | None:
    """(x, h, end, (the three axes)) when ``node`` is ``Concat(Neg(Slice(x, h:end)), Slice(x, 0:h))`` with constant
    one-axis slices of unit step, else None (the caller checks the axes are the last and end reaches past it)."""
    if node.op_type != "Concat" or len(node.input) != 2:
        return None
    neg = g.nodes[g.producer[node.input[0]]] if node.input[0] in g.producer else None
    low = g.nodes[g.producer[node.input[1]]] if node.input[1] in g.producer else None
    high = g.nodes[g.producer[neg.input[0]]] if neg is not None and neg.op_type == "Neg" and \
        neg.input[0] in g.producer else None
    if low is None or high is None or low.op_type != "Slice" or high.op_type != "Slice" or \
            low.input[0] != high.input[0]:
        return None
    low_range, high_range = _slice(g, low), _slice(g, high)
    if low_range is None or high_range is None or low_range[0] != 0 or low_range[1] != high_range[0]:
        return None
    return low.input[0], high_range[0], high_range[1], (low_range[2], high_range[2], int(attr(node, "axis", 0)))


def _slice(g: Graph, node: NodeProto) -> tuple[int, int, int] | None:
    """(start, end, axis) of a Slice with constant one-element starts, ends, axes and unit (or absent) steps."""
    values: list[int | None] = []
    for k in range(1, 5):
        if k >= len(node.input) or not node.input[k]:
            values.append(None)
            continue
        value = g.value(node.input[k]) if node.input[k] in g.const else None
        if value is None or np.asarray(value).size != 1:
            return None
        values.append(int(np.asarray(value).reshape(-1)[0]))
    start, end, axis, step = values
    if start is None or end is None or axis is None or step not in (None, 1):
        return None
    return start, end, axis
