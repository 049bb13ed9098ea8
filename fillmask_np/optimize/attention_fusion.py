"""``optimize``: the exporter's decomposed attention as one ONNX Runtime ``MultiHeadAttention`` node per layer.

torch's exporter writes scaled-dot-product attention as separate ops over the [B, heads, L, L] scores:
``S = MatMul(Q, K^T)``, ``Add(S, mask)``, ``Softmax``, ``MatMul(P, V)``, then ``Transpose`` and ``Reshape`` back to
[B, L, hidden]. Each is a pass over a tensor that outgrows the caches at a few hundred tokens (the mask's
broadcast ``Add`` alone took a fifth of the golden ESM's time at 252 tokens). ONNX Runtime's
``com.microsoft.MultiHeadAttention`` does the same per (row, head) in cache. The match (after ``nan_guard``):

* ``Softmax`` over the last axis of ``Add(MatMul(Q, KT), mask)``, read by one ``MatMul(P, V)`` whose output is
  only ``Transpose(perm 0, 2, 1, 3)`` then ``Reshape`` (to [B, L, hidden]);
* ``KT`` is ``K`` [B, heads, L, d] with its last two axes swapped (``Transpose(perm 0, 1, 3, 2)``, or the
  exporter's ``Reshape`` -> ``Transpose(perm 0, 2, 1)`` -> ``Reshape``), optionally times a scalar constant (the
  exporter's share of the scale, moved onto ``K``: the same products).

The node gets ``Q`` (already scaled by the graph) as [B, L, hidden], ``K`` and ``V`` as [B, heads, L, d], the
mask as ``attention_bias`` and ``scale=1``. ``num_heads`` comes from config.json. The check that follows the
rewrite (``check.compare``) is what proves a match; ``optimize_model`` falls back to the unfused graph when it
fails. Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, NodeProto, helper, numpy_helper

from .graph_index import Graph, attr

__all__ = ["MHA_DOMAIN", "fuse_attention", "drop_dead_nodes"]

MHA_DOMAIN = "com.microsoft"


def fuse_attention(model: ModelProto, num_heads: int) -> tuple[ModelProto, int]:
    """Replace every matched attention core by a ``MultiHeadAttention`` node (in place).

    Args:
        model: the ONNX model, NaN guards already dropped.
        num_heads: the model's attention heads (config.json's ``num_attention_heads``).
    Returns:
        (the model, how many attention cores were fused).
    """
    g = Graph(model)
    replaced: dict[int, list[NodeProto]] = {}  # index of a matched core's last node -> the nodes replacing it
    for node in g.nodes:
        if node.op_type != "Softmax":
            continue
        match = _match(g, node)
        if match is None:
            continue
        last, q, k, v, mask, out, scale = match
        tag = f"{out}_mha"
        shape = numpy_helper.from_array(np.array([0, 0, -1], dtype=np.int64), f"{tag}_shape")
        model.graph.initializer.append(shape)
        new = [helper.make_node("Transpose", [q], [f"{tag}_q4"], perm=[0, 2, 1, 3], name=f"{tag}_q_transpose"),
               helper.make_node("Reshape", [f"{tag}_q4", shape.name], [f"{tag}_q3"], name=f"{tag}_q_reshape")]
        key, key_scale, bsnh = k
        if bsnh:  # [B, L, heads, d] -> [B, heads, L, d]
            new.append(helper.make_node("Transpose", [key], [f"{tag}_k4"], perm=[0, 2, 1, 3], name=f"{tag}_k_t"))
            key = f"{tag}_k4"
        if key_scale is not None:  # K times the scalar the graph applied to K^T
            new.append(helper.make_node("Mul", [key, key_scale], [f"{tag}_k"], name=f"{tag}_k_scale"))
            key = f"{tag}_k"
        new.append(helper.make_node("MultiHeadAttention", [f"{tag}_q3", key, v, "", "", mask], [out],
                                    domain=MHA_DOMAIN, num_heads=int(num_heads), scale=scale, name=tag))
        replaced[last] = new
    if not replaced:
        return model, 0
    nodes: list[NodeProto] = []
    for i, node in enumerate(g.nodes):
        nodes.extend(replaced.get(i, [node]))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    if not any(o.domain == MHA_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MHA_DOMAIN, 1))
    drop_dead_nodes(model)
    return model, len(replaced)


def _only(g: Graph, name: str, op: str) -> NodeProto | None:
    """The single consumer of ``name`` when it is an ``op`` node (and ``name`` is no graph output), else None."""
    users = g.consumers.get(name, [])
    if len(users) != 1 or name in g.graph_outputs or g.nodes[users[0]].op_type != op:
        return None
    return g.nodes[users[0]]


def _made_by(g: Graph, name: str, op: str) -> NodeProto | None:
    node = g.nodes[g.producer[name]] if name in g.producer else None
    return node if node is not None and node.op_type == op else None


def _match(g: Graph, softmax: NodeProto) -> tuple[int, str, tuple[str, str | None, bool], str, str, str, float] | None:
    """(index of the final Reshape, Q, ``_key``'s K, V, mask, output [B, L, hidden], scale) of one attention core."""
    if attr(softmax, "axis", -1) not in (-1, 3):
        return None
    add = _made_by(g, softmax.input[0], "Add")
    pv = _only(g, softmax.output[0], "MatMul")
    if add is None or pv is None or pv.input[0] != softmax.output[0] or len(g.consumers[add.output[0]]) != 1:
        return None
    scores = [x for x in add.input if _scores(g, x) is not None]
    if len(scores) != 1:
        return None
    mask = next(x for x in add.input if x != scores[0])
    qk, scale = _scores(g, scores[0])  # type: ignore[misc]
    transpose = _only(g, pv.output[0], "Transpose")
    if transpose is None or list(attr(transpose, "perm", [])) != [0, 2, 1, 3]:
        return None
    reshape = _only(g, transpose.output[0], "Reshape")
    k = _key(g, qk.input[1])
    if reshape is None or k is None:
        return None
    return g.producer[reshape.output[0]], qk.input[0], k, pv.input[1], mask, reshape.output[0], scale


def _scores(g: Graph, name: str) -> tuple[NodeProto, float] | None:
    """(the ``MatMul(Q, K^T)`` computing the scores ``name``, the scale applied after it), or None.

    The scores are the MatMul's output, or that output times a scalar constant (eager attention's scale)."""
    if len(g.consumers.get(name, [])) != 1:
        return None
    qk = _made_by(g, name, "MatMul")
    if qk is not None:
        return qk, 1.0
    mul = _made_by(g, name, "Mul")
    if mul is None:
        return None
    consts = [x for x in mul.input if x in g.const]
    value = g.value(consts[0]) if len(consts) == 1 else None
    product = next((x for x in mul.input if x not in g.const), "")
    qk = _made_by(g, product, "MatMul")
    if value is None or value.size != 1 or qk is None or len(g.consumers[product]) != 1:
        return None
    return qk, float(value.reshape(-1)[0])


def _key(g: Graph, kt: str) -> tuple[str, str | None, bool] | None:
    """(K, the scalar constant K^T was multiplied by or None, whether K is [B, L, heads, d] rather than
    [B, heads, L, d]) from K^T as the exporter writes it, or None."""
    scale = None
    mul = _made_by(g, kt, "Mul")
    if mul is not None:
        consts = [x for x in mul.input if x in g.const]
        value = g.value(consts[0]) if len(consts) == 1 else None
        if value is None or value.size != 1:
            return None
        scale, kt = consts[0], next(x for x in mul.input if x != consts[0])
    swap = _made_by(g, kt, "Transpose")
    perm = list(attr(swap, "perm", [])) if swap is not None else []
    if swap is not None and perm in ([0, 1, 3, 2], [0, 2, 3, 1]):  # from [B, heads, L, d] or [B, L, heads, d]
        return swap.input[0], scale, perm == [0, 2, 3, 1]
    outer = _made_by(g, kt, "Reshape")
    swap = _made_by(g, outer.input[0], "Transpose") if outer is not None else None
    inner = _made_by(g, swap.input[0], "Reshape") if swap is not None else None
    if inner is None or swap is None or list(attr(swap, "perm", [])) != [0, 2, 1]:
        return None
    return inner.input[0], scale, False


def drop_dead_nodes(model: ModelProto) -> int:
    """Remove the nodes none of whose outputs is used (by a kept node or as a graph output), and the initializers no
    kept node reads; returns how many nodes."""
    needed = {o.name for o in model.graph.output}
    kept: list[NodeProto] = []
    for node in reversed(list(model.graph.node)):
        if any(o in needed for o in node.output if o):
            kept.append(node)
            needed.update(x for x in node.input if x)
    dropped = len(model.graph.node) - len(kept)
    del model.graph.node[:]
    model.graph.node.extend(reversed(kept))
    inputs = {i.name for i in model.graph.input}
    used = [t for t in model.graph.initializer if t.name in needed or t.name in inputs]  # ORT warns about the rest
    del model.graph.initializer[:]
    model.graph.initializer.extend(used)
    return dropped
