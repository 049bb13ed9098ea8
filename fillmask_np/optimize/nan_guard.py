"""``optimize``: drop the exporter's NaN guard after an attention softmax where it provably changes nothing.

torch's exporter writes scaled-dot-product attention as ``P = Softmax(S + M)`` followed by
``Where(IsNaN(P), 0, P)``: the guard zeroes a softmax row that came out NaN, which happens only when every
entry of the row is -inf (a query with no key to attend to) or some score is NaN or +inf. It costs two
full passes over the [B, heads, L, L] probabilities, about a third of ONNX Runtime's time on a small
model with long rows (the golden ESM-2 at 252 tokens).

A guard is dropped only where the additive mask ``M`` is provably finite: the output of a ``Where`` whose
two branches are finite constants (transformers' masks: 0 where a key is attended, the dtype's minimum
where not), seen through shape-only ops (Expand, Unsqueeze, Reshape, Squeeze, Identity). Then a row
with at least one attended key holds that key's finite score, so its softmax cannot be NaN for finite
scores, and the guard passes ``P`` through bit for bit. The inputs fillmask_np feeds always have one: every
row of a batch holds a real token (a fixed-batch graph's filler rows, with none, add the finite minimum to
finite scores: finite again, so no NaN there either). A score that is itself NaN
or infinite (a broken model) now reaches the logits instead of being zeroed, and is refused loudly there.

Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, NodeProto

from .graph_index import Graph

__all__ = ["drop_nan_guards"]

_SHAPE_ONLY = {"Expand", "Unsqueeze", "Reshape", "Squeeze", "Identity"}


def drop_nan_guards(model: ModelProto) -> tuple[ModelProto, int]:
    """Remove every ``Where(IsNaN(Softmax(S + M)), 0, Softmax(S + M))`` guard whose mask ``M`` is finite.

    Args:
        model: the ONNX model (edited in place).
    Returns:
        (the model, how many guards were removed).
    """
    g = Graph(model)
    drop: set[int] = set()
    rename: dict[str, str] = {}  # a guard's output -> the softmax output it passes through
    for index, node in enumerate(g.nodes):
        if node.op_type != "IsNaN":
            continue
        wheres = _guard_wheres(g, node)
        if wheres is None or not _finite_softmax_input(g, node.input[0]):
            continue
        drop.add(index)
        drop.update(wheres)
        rename.update((g.nodes[w].output[0], node.input[0]) for w in wheres)
    if not drop:
        return model, 0
    kept = [node for i, node in enumerate(g.nodes) if i not in drop]
    for node in kept:
        for k, name in enumerate(node.input):
            if name in rename:
                node.input[k] = rename[name]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    return model, sum(g.nodes[i].op_type == "IsNaN" for i in drop)


def _guard_wheres(g: Graph, isnan: NodeProto) -> list[int] | None:
    """The ``Where(IsNaN(P), 0, P)`` nodes consuming this IsNaN (its only consumers), or None if it is no guard."""
    probs, flag = isnan.input[0], isnan.output[0]
    if probs not in g.producer or g.nodes[g.producer[probs]].op_type != "Softmax" or flag in g.graph_outputs:
        return None
    wheres = g.consumers.get(flag, [])
    for w in wheres:
        node = g.nodes[w]
        zero = g.value(node.input[1]) if node.input[1] in g.const else None
        if (node.op_type != "Where" or list(node.input)[0::2] != [flag, probs] or zero is None or np.any(zero != 0)
                or node.output[0] in g.graph_outputs):
            return None
    return list(wheres) or None


def _finite_softmax_input(g: Graph, probs: str) -> bool:
    """Whether the softmax computing ``probs`` reads ``S + M`` with ``M`` a mask of finite constants."""
    scores = g.nodes[g.producer[probs]].input[0]
    if scores not in g.producer or g.nodes[g.producer[scores]].op_type != "Add":
        return False
    return any(_finite_mask(g, x) for x in g.nodes[g.producer[scores]].input)


def _finite_mask(g: Graph, name: str) -> bool:
    """``name`` is a Where between two finite constants, seen through shape-only ops."""
    while name in g.producer and g.nodes[g.producer[name]].op_type in _SHAPE_ONLY:
        name = g.nodes[g.producer[name]].input[0]
    if name not in g.producer or g.nodes[g.producer[name]].op_type != "Where":
        return False
    branches = [g.value(x) if x in g.const else None for x in g.nodes[g.producer[name]].input[1:]]
    return all(b is not None and b.dtype.kind == "f" and bool(np.isfinite(b).all()) for b in branches)
