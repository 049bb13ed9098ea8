"""Graph surgery for ``optimize``: find the position-wise LM head and run it on the masked rows only.

Walking backward from the logits, every op that acts on each position on its own (see
``positionwise``: MatMul by a constant 2-D weight, element-wise ops with constants that do not vary
along the sequence, LayerNormalization and reductions over the last axis, an embedding Gather, ...)
joins the head, always expanding the tensor latest in topological order. Whenever the walk's frontier
shrinks to one tensor, every path from the inputs to the logits runs through it and the ops after it
are position-wise: a gather point. The walk stops at the first op that mixes positions (attention's
Reshape) or when a head tensor is used elsewhere (another output). The earliest point wins, except
that a residual ``Add`` feeding a LayerNorm gives way to the norm's output: ONNX Runtime fuses the
two, and keeping them together keeps the rows bit-identical. For a BERT-like graph the last layer's
feed-forward block and the LM head then run on the masked rows only.

The rewrite: ``GatherND(point, masked_positions)`` -> [M, ...], ``Unsqueeze(0)`` -> [1, M, ...] (the
rank the head's ops expect), the head unchanged, and ``Squeeze(0)`` on its output: logits [M, V].
Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from onnx import ModelProto, TensorProto, helper, numpy_helper

from ..errors import ModelError
from ..runtime import POSITIONS_INPUT
from .graph_index import Graph, opset
from .positionwise import LAST_AXIS_NORMS, why_not_positionwise


@dataclass(frozen=True)
class HeadCut:
    """Where to gather: the tensor ``point``, the head's node indices, their op counts, and where the walk stopped."""

    point: str
    nodes: frozenset[int]
    ops: dict[str, int]
    stopped_at: str


def find_head(model: ModelProto, logits: str) -> HeadCut:
    """The earliest gather point before the position-wise head that computes ``logits``.

    Raises:
        ModelError: naming the op that stops the walk when not even the op computing the logits is position-wise.
    """
    g = Graph(model)
    if logits not in g.producer:
        raise ModelError(f"the logits {logits!r} are not computed by any node of the graph; cannot find the LM head")
    if g.consumers.get(logits):
        raise ModelError(f"the logits {logits!r} feed other nodes of the graph; cannot rewrite the LM head")
    rank = 3
    frontier, head, reason = {logits}, set[int](), ""
    candidates: list[tuple[str, frozenset[int]]] = []  # gather points, latest first
    while True:
        if len(frontier) == 1 and head:
            (point,) = frontier
            if not _closed(g, head, logits):
                reason = reason or "a tensor inside the head is used elsewhere (another output or node)"
                break
            candidates.append((point, frozenset(head)))
        latest = max(frontier, key=g.order)
        if latest not in g.producer:
            reason = f"graph input {latest!r}"
            break
        node = g.nodes[g.producer[latest]]
        why = why_not_positionwise(g, node, rank)
        if why:
            reason = why
            break
        head.add(g.producer[latest])
        frontier -= set(node.output)
        frontier |= {x for x in node.input if x and x not in g.const}
        if node.op_type == "Gather":
            rank -= 1  # the ids feeding an embedding lookup have one axis less than its output
    if not candidates:
        raise ModelError(f"cannot find a position-wise LM head before the logits {logits!r}: {reason}; "
                         f"optimize supports heads of MatMul/element-wise/LayerNormalization ops ending in the logits")
    point, nodes = candidates[-1]
    if len(candidates) > 1 and _residual_sum(g, point, nodes):
        point, nodes = candidates[-2]
    ops = Counter(g.nodes[i].op_type for i in sorted(nodes))
    return HeadCut(point, nodes, dict(ops), reason)


def _residual_sum(g: Graph, point: str, head: frozenset[int]) -> bool:
    """True for ``Add`` -> LayerNorm: ONNX Runtime fuses the two (SkipLayerNormalization) and rounds differently
    when the gather splits them, so the gather goes after the norm instead (bit-identical rows, same speed)."""
    producer = g.producer.get(point)
    norms = LAST_AXIS_NORMS | {"ReduceMean"}
    return (producer is not None and g.nodes[producer].op_type == "Add"
            and any(g.nodes[c].op_type in norms for c in g.consumers[point] if c in head))


def _closed(g: Graph, head: set[int], logits: str) -> bool:
    """True when no tensor computed inside the head is used outside it (other nodes, other graph outputs)."""
    for i in head:
        for out in g.nodes[i].output:
            if out and out != logits and (out in g.graph_outputs or any(c not in head for c in g.consumers[out])):
                return False
    return True


def gather_head(model: ModelProto, logits: str, cut: HeadCut) -> ModelProto:
    """Rewrite ``model`` in place (no copy of its weights) so that the head runs on ``masked_positions`` [M, 2]
    rows only and ``logits`` becomes [M, V]; returns it."""
    out = model
    g = out.graph
    taken = {x for n in g.node for x in list(n.input) + list(n.output)} | {i.name for i in g.input}
    taken |= {t.name for t in g.initializer}
    if POSITIONS_INPUT in taken:
        raise ModelError(f"the model already has a {POSITIONS_INPUT!r} tensor: it is optimized already")

    def fresh(base: str) -> str:
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    rows, rows3, logits3, axes = (fresh(f"{cut.point}_masked_rows"), fresh(f"{cut.point}_masked_rows3"),
                                  fresh(f"{logits}_rows3"), fresh("masked_rows_axes"))
    g.input.append(helper.make_tensor_value_info(POSITIONS_INPUT, TensorProto.INT64, ["masked", 2]))
    gather = [helper.make_node("GatherND", [cut.point, POSITIONS_INPUT], [rows], name=fresh("masked_rows_gather"))]
    if opset(out) >= 13:
        g.initializer.append(numpy_helper.from_array(np.array([0], dtype=np.int64), axes))
        gather.append(helper.make_node("Unsqueeze", [rows, axes], [rows3], name=fresh("masked_rows_unsqueeze")))
        squeeze = helper.make_node("Squeeze", [logits3, axes], [logits], name=fresh("masked_logits_squeeze"))
    else:
        gather.append(helper.make_node("Unsqueeze", [rows], [rows3], axes=[0], name=fresh("masked_rows_unsqueeze")))
        squeeze = helper.make_node("Squeeze", [logits3], [logits], axes=[0], name=fresh("masked_logits_squeeze"))
    nodes, first = list(g.node), min(cut.nodes)
    changed: set[str] = set()
    for i in cut.nodes:
        node = nodes[i]
        for k, x in enumerate(node.input):
            if x == cut.point:
                node.input[k] = rows3
        for k, x in enumerate(node.output):
            if x == logits:
                node.output[k] = logits3
        changed.update(node.output)
    del g.node[:]
    g.node.extend(nodes[:first] + gather + nodes[first:] + [squeeze])
    kept = [vi for vi in g.value_info if vi.name not in changed]  # shapes inside the head changed: drop them
    del g.value_info[:]
    g.value_info.extend(kept)
    for o in g.output:
        if o.name == logits:
            dims = o.type.tensor_type.shape.dim
            vocab = dims[-1] if len(dims) else None
            o.type.tensor_type.ClearField("shape")
            new = o.type.tensor_type.shape.dim
            new.add().dim_param = "masked"
            if vocab is not None:
                new.add().CopyFrom(vocab)
            else:
                new.add().dim_param = "vocab"
    return out
