"""``optimize``: move the gather of the masked rows up through the last attention layer.

After ``graph_head.gather_head`` the ops after the gather point run on the masked rows only. With the attention
fused (``attention_fusion``), the gather moves further up: every position-wise op before the point whose output
is used only on the gathered side is run on gathered rows instead (the last layer's feed-forward block, its
attention output projection, the residual sums and norms), and the last ``MultiHeadAttention`` node is asked for
the masked queries only: their query rows, each with its own row's keys, values and mask row
(``Gather`` by the batch index), [M, 1, hidden] out. Keys and values are still computed at every position; a
tensor also needed at every position (the residual stream into the layer) is gathered where it is. For a model
of n layers this saves most of 1/n of the encoder (half of the golden ESM-2's two layers).

Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``; the check that follows proves the rewrite.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from onnx import ModelProto, NodeProto, helper, numpy_helper

from ..runtime import POSITIONS_INPUT
from .attention_fusion import MHA_DOMAIN, drop_dead_nodes
from .graph_index import Graph, opset
from .positionwise import why_not_positionwise
from .query_rows import QUERY_GATHER

__all__ = ["gather_last_attention"]

_NOT_MOVED = {"Gather", "Where", "Equal", "And", "Or", "Not", "Cast", "Greater", "Less"}  # lookups and mask logic


def gather_last_attention(model: ModelProto, hidden: int) -> tuple[ModelProto, list[str], list[str]]:
    """Move ``masked_positions``' gather up through the last fused attention layer (in place).

    Args:
        model: a model rewritten by ``gather_head`` (one ``GatherND`` of ``masked_positions``), attention fused.
        hidden: the width of the attention's input and output (config.json's ``hidden_size``), a multiple of the
            heads: each masked query row is split into [heads, hidden / heads].
    Returns:
        (the model, the op types now run on the masked rows in addition, the tensors now gathered besides the
        attention's queries); no change without a fused attention
        node on the way, or below opset 13.
    """
    g = Graph(model)
    starts = [i for i, n in enumerate(g.nodes) if n.op_type == "GatherND" and n.input[1] == POSITIONS_INPUT]
    heads = {helper.get_attribute_value(a) for n in g.nodes if n.domain == MHA_DOMAIN for a in n.attribute
             if a.name == "num_heads"}
    if len(starts) != 1 or opset(model) < 13 or len(heads) != 1 or hidden <= 0 or hidden % heads.pop():
        return model, [], []
    first = g.nodes[starts[0]]
    unsqueeze = [g.nodes[c] for c in g.consumers[first.output[0]]]
    if len(unsqueeze) != 1 or unsqueeze[0].op_type != "Unsqueeze":
        return model, [], []
    names = _Names(model)
    point = first.input[0]
    gathered = {point: unsqueeze[0].output[0]}  # tensor -> its [1, M, ...] rows
    done = {starts[0]}  # nodes whose use of a tensor is taken over by the gathered side
    need, moved, new, stops = {point}, list[str](), list[NodeProto](), list[str]()
    attention = False
    while need:
        x = max(need, key=g.order)
        need.discard(x)
        index = g.producer.get(x)
        free = index is not None and x not in g.graph_outputs and all(c in done for c in g.consumers[x])
        node = g.nodes[index] if index is not None else None
        if index is None or node is None or not free:
            if x != point:
                new += _gather(x, gathered[x], names)
                stops.append(x)
            continue
        if node.op_type == "MultiHeadAttention" and not attention:
            new += _gathered_attention(node, gathered[x], names, hidden)
            attention = True
        elif len(node.output) == 1 and _movable(g, node):
            inputs = []
            for y in node.input:
                if y and y not in g.const:
                    gathered.setdefault(y, names.fresh(f"{y}_masked_rows3"))
                    need.add(y)
                    inputs.append(gathered[y])
                else:
                    inputs.append(y)
            clone = helper.make_node(node.op_type, inputs, [gathered[x]], name=names.fresh(f"{node.name}_rows"),
                                     domain=node.domain)
            clone.attribute.extend(node.attribute)
            new.append(clone)
        else:
            if x != point:
                new += _gather(x, gathered[x], names)
                stops.append(x)
            continue
        done.add(index)
        moved.append(node.op_type)
    if not attention:
        return model, [], []
    replaced = {id(first), id(unsqueeze[0])}  # the point's rows now come from its moved producer
    kept = [n for n in model.graph.node if id(n) not in replaced]
    model.graph.initializer.extend(names.initializers)
    del model.graph.node[:]
    model.graph.node.extend(_topological(kept + new, model))
    drop_dead_nodes(model)
    return model, moved, stops


def _movable(g: Graph, node: NodeProto) -> bool:
    return node.op_type not in _NOT_MOVED and why_not_positionwise(g, node, 3) is None


class _Names:
    """Fresh tensor names and the small constants the new nodes need."""

    def __init__(self, model: ModelProto) -> None:
        self.taken = {x for n in model.graph.node for x in list(n.input) + list(n.output)}
        self.taken |= {t.name for t in model.graph.initializer} | {i.name for i in model.graph.input}
        self.initializers: list = []
        self.consts: dict[tuple[int, ...], str] = {}

    def fresh(self, base: str) -> str:
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def floats(self, value: float) -> str:
        """A float32 scalar initializer holding ``value``."""
        name = self.fresh("masked_rows_scale")
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
        return name

    def ints(self, *values: int) -> str:
        """An int64 initializer holding ``values``."""
        if values not in self.consts:
            self.consts[values] = self.fresh("masked_rows_const")
            self.initializers.append(numpy_helper.from_array(np.array(values, dtype=np.int64), self.consts[values]))
        return self.consts[values]


def _gather(x: str, out: str, names: _Names) -> list[NodeProto]:
    """``out`` [1, M, ...] = the masked rows of ``x`` [B, L, ...]."""
    rows = names.fresh(f"{x}_masked_rows")
    return [helper.make_node("GatherND", [x, POSITIONS_INPUT], [rows], name=names.fresh("masked_rows_gather")),
            helper.make_node("Unsqueeze", [rows, names.ints(0)], [out], name=names.fresh("masked_rows_unsqueeze"))]


def _gathered_attention(node: NodeProto, out: str, names: _Names, hidden: int) -> list[NodeProto]:
    """The attention output [1, M, hidden] at the masked positions: one query each, against its own row's keys,
    values and mask row. Each query is run twice (two rows): ONNX Runtime multiplies a single row by another kernel,
    which rounds differently with the padding, so that a row's result would depend on its batch."""
    query, key, value = node.input[0], node.input[1], node.input[2]
    bias = node.input[5] if len(node.input) > 5 else ""
    heads = int(next(helper.get_attribute_value(a) for a in node.attribute if a.name == "num_heads"))
    f = names.fresh
    batch, q, k, v, o = f("masked_batch"), f(f"{query}_masked"), f(f"{key}_masked"), f(f"{value}_masked"), f(f"{out}_m")
    nodes = [helper.make_node("Slice", [POSITIONS_INPUT, names.ints(0), names.ints(1), names.ints(1)], [batch + "2"]),
             helper.make_node("Squeeze", [batch + "2", names.ints(1)], [batch]),  # [M] batch row of each query
             helper.make_node("GatherND", [query, POSITIONS_INPUT], [q + "2"]),  # [M, hidden]
             helper.make_node("Reshape", [q + "2", names.ints(0, heads, 1, hidden // heads)], [q + "1"]),  # [M,h,1,d]
             helper.make_node("Concat", [q + "1", q + "1"], [q], axis=2),  # [M, h, 2, d]
             helper.make_node("Gather", [key, batch], [k + "2"], axis=0),  # [M, h, T, d]
             helper.make_node("Transpose", [k + "2"], [k], perm=[0, 1, 3, 2]),  # [M, h, d, T]
             helper.make_node("Gather", [value, batch], [v], axis=0),  # [M, h, T, d]
             helper.make_node("MatMul", [q, k], [o + "s"])]  # [M, h, 2, T]
    scores = o + "s"
    scale = next((float(helper.get_attribute_value(a)) for a in node.attribute if a.name == "scale"), None)
    if scale is not None and scale != 1.0:  # the node's own scale (None: 1 / sqrt(d), which fusion never leaves)
        nodes.append(helper.make_node("Mul", [scores, names.floats(scale)], [o + "x"]))
        scores = o + "x"
    if bias:
        b = f(f"{bias}_masked")
        nodes += [helper.make_node("Transpose", [bias], [b + "t"], perm=[0, 2, 1, 3]),  # [B, L, n, T]
                  helper.make_node("GatherND", [b + "t", POSITIONS_INPUT], [b + "2"]),  # [M, n, T]
                  helper.make_node("Unsqueeze", [b + "2", names.ints(2)], [b]),  # [M, n, 1, T]
                  helper.make_node("Add", [scores, b], [o + "b"])]
        scores = o + "b"
    nodes += [helper.make_node("Softmax", [scores], [o + "p"], axis=-1),
              helper.make_node("MatMul", [o + "p", v], [o + "2"]),  # [M, h, 2, d]
              helper.make_node("Slice", [o + "2", names.ints(0), names.ints(1), names.ints(2)], [o]),  # [M, h, 1, d]
              helper.make_node("Flatten", [o], [o + "f"], axis=1),  # [M, hidden]
              helper.make_node("Unsqueeze", [o + "f", names.ints(0)], [out])]  # [1, M, hidden]
    for n in nodes:
        n.name = f("masked_rows_attention")
    nodes[2].name = f(QUERY_GATHER)  # where ``query_rows`` may move the queries' chain to the masked rows
    return nodes


def _topological(nodes: list[NodeProto], model: ModelProto) -> list[NodeProto]:
    """``nodes`` in an order where every input is computed before use (stable for nodes already in order)."""
    ready = {i.name for i in model.graph.input} | {t.name for t in model.graph.initializer} | {""}
    producer = {o: k for k, n in enumerate(nodes) for o in n.output}
    waiting: dict[str, list[int]] = defaultdict(list)
    missing = []
    for k, n in enumerate(nodes):
        deps = {x for x in n.input if x not in ready and x in producer}
        missing.append(len(deps))
        for x in deps:
            waiting[x].append(k)
    out: list[NodeProto] = []
    queue = [k for k, m in enumerate(missing) if m == 0]
    while queue:
        queue.sort(reverse=True)
        k = queue.pop()
        out.append(nodes[k])
        for o in nodes[k].output:
            for user in waiting.pop(o, []):
                missing[user] -= 1
                if missing[user] == 0:
                    queue.append(user)
    return out
