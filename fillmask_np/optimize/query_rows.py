"""``optimize``: the last attention's queries computed on the masked rows only.

``attention_rows`` asks the last ``MultiHeadAttention`` for the masked queries, gathering the query rows from a
tensor computed at every position (the projection and, in ESM-2, the rotary rotation). Here that chain runs on
the masked rows instead: its nodes are cloned onto a pseudo-batch of one sequence of M rows, ``[1, M, ...]`` where
the graph has ``[batch, sequence, ...]`` (ONNX Runtime's symbolic shape inference tells the axes), fed by

* the chain's inputs laid out ``[batch, sequence, ...]`` (the layer's normed states), gathered at the masked rows;
* inputs that vary along the sequence only (the rotary tables ``[1, 1, sequence, d]``), taken at the masked rows'
  positions;
* constants as they are, and a ``Reshape``'s target shape rewritten to ``[0, 0, d...]``.

Element-wise ops, ``MatMul`` by a constant weight, ``Transpose``, ``Reshape`` and ``Slice`` / ``Split`` /
``Concat`` on a fixed-size axis compute each row from that row alone, so the rows are the ones the full chain
gives, bit for bit (the check that follows proves it). Anything else, or an axis the inference cannot name,
leaves the graph as it was.

Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import ModelProto, NodeProto, helper, numpy_helper

from ..runtime import POSITIONS_INPUT
from .graph_index import Graph, attr
from .ort_tools import symbolic_shapes

__all__ = ["QUERY_GATHER", "gather_query_rows"]

QUERY_GATHER = "masked_rows_query"  # the name ``attention_rows`` gives the GatherND of the masked queries
_ROWWISE = {"Add", "Sub", "Mul", "Div", "Neg", "Erf", "Sqrt", "Cast", "Identity", "Cos", "Sin", "Tanh", "Sigmoid"}
_ON_AN_AXIS = {"Slice", "Split", "Concat"}  # fine on a fixed-size axis


def gather_query_rows(model: ModelProto) -> tuple[ModelProto, list[str]]:
    """Run the chain that computes the last attention's queries on the masked rows only (in place).

    Args:
        model: a model rewritten by ``attention_rows.gather_last_attention`` (a ``GatherND`` named
            ``QUERY_GATHER``).
    Returns:
        (the model, the op types now run on the masked rows); unchanged (and no ops) when not proven row-wise.
    """
    g = Graph(model)
    gather = next((i for i, n in enumerate(g.nodes) if n.name == QUERY_GATHER), None)
    if gather is None:
        return model, []
    chain = _chain(g, gather)
    if not chain:
        return model, []
    shapes = _symbolic_shapes(model)
    if shapes is None:
        return model, []
    batch, sequence = _axes_names(model, shapes)
    made = {o for i in chain for o in g.nodes[i].output if o}
    rows = _Rows(g, shapes, batch, sequence)
    clones: list[NodeProto] = []
    for i in sorted(chain):
        clone = rows.clone(g.nodes[i], made)
        if clone is None:
            return model, []
        clones.append(clone)
    query = g.nodes[gather]
    squeeze = helper.make_node("Squeeze", [query.input[0] + "_rows", rows.const("masked_query_axis", [0])],
                               [query.output[0]], name=QUERY_GATHER)
    new = rows.prelude + clones + [squeeze]
    nodes = [n for i, n in enumerate(g.nodes) if i not in chain and i != gather]
    at = min(i for i, n in enumerate(nodes) if set(n.input) & {query.output[0]})  # the first reader of the queries
    del model.graph.node[:]
    model.graph.node.extend(nodes[:at] + new + nodes[at:])
    model.graph.initializer.extend(rows.initializers)
    return model, [g.nodes[i].op_type for i in sorted(chain)]


def _chain(g: Graph, gather: int) -> set[int]:
    """The nodes computing the gathered query tensor and nothing else, back to the tensors also used elsewhere."""
    chain: set[int] = set()
    first = g.producer.get(g.nodes[gather].input[0])
    if first is None:
        return chain
    for i in range(first, -1, -1):
        outs = [o for o in g.nodes[i].output if o]
        if i == first or (outs and all(o not in g.graph_outputs and g.consumers.get(o) and all(
                c in chain for c in g.consumers[o]) for o in outs)):
            if g.nodes[i].output[0] in g.const:
                continue
            chain.add(i)
    return chain if all(c in chain or c == gather for o in g.nodes[first].output for c in g.consumers[o]) else set()


def _symbolic_shapes(model: ModelProto) -> dict[str, list[Any]] | None:
    """Every tensor's shape as ONNX Runtime's symbolic shape inference gives it (dims: int or name), or None."""
    inferred = symbolic_shapes(model)
    if inferred is None:  # no shapes, no proof
        return None
    found: dict[str, list[Any]] = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape"):
            found[v.name] = [d.dim_param or (d.dim_value if d.HasField("dim_value") else None)
                             for d in v.type.tensor_type.shape.dim]
    return found


def _axes_names(model: ModelProto, shapes: dict[str, list[Any]]) -> tuple[Any, Any]:
    """The symbolic names of the batch and sequence axes: the first graph input's two dims."""
    first = shapes.get(model.graph.input[0].name, [None, None])
    return (first[0], first[1]) if len(first) == 2 and all(isinstance(d, str) for d in first) else (None, None)


def _row_free(g: Graph, name: str) -> bool:
    """A constant the same for every row: a scalar or one whose dims before the last are all 1."""
    value = g.value(name)
    return value is not None and all(d == 1 for d in value.shape[:-1])


class _Rows:
    """Clones of chain nodes on ``[1, M, ...]`` rows, and the gathers feeding them."""

    def __init__(self, g: Graph, shapes: dict[str, list[Any]], batch: Any, sequence: Any) -> None:
        self.g, self.shapes, self.batch, self.sequence = g, shapes, batch, sequence
        self.prelude: list[NodeProto] = []
        self.initializers: list[Any] = []
        self.fed: dict[str, str] = {}
        self.position = ""

    def const(self, name: str, values: list[int]) -> str:
        if all(t.name != name for t in self.initializers):
            self.initializers.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    def _positions(self) -> str:
        """[M] the masked rows' positions."""
        if not self.position:
            self.position = "masked_query_positions"
            self.prelude.append(helper.make_node("Gather", [POSITIONS_INPUT, self.const("masked_query_one", [1])],
                                                 [self.position + "2"], axis=1))  # [M, 1]
            self.prelude.append(helper.make_node("Squeeze", [self.position + "2", self.const("masked_query_i1", [1])],
                                                 [self.position]))
        return self.position

    def _feed(self, x: str) -> str | None:
        """The rows of a tensor the chain reads from outside it, or None where its layout is not known."""
        if x in self.fed:
            return self.fed[x]
        shape = self.shapes.get(x)
        if shape is None or self.batch is None:
            return None
        out = x + "_query_rows"
        if shape[:2] == [self.batch, self.sequence] and self.sequence not in shape[2:] and self.batch not in shape[2:]:
            self.prelude += [helper.make_node("GatherND", [x, POSITIONS_INPUT], [out + "2"]),  # [M, ...]
                             helper.make_node("Unsqueeze", [out + "2", self.const("masked_query_axis", [0])], [out])]
        elif self.batch not in shape and shape.count(self.sequence) == 1:
            axis = shape.index(self.sequence)  # a table along the sequence: its rows at the masked positions
            self.prelude.append(helper.make_node("Gather", [x, self._positions()], [out], axis=axis))
        else:
            return None
        self.fed[x] = out
        return out

    def _fixed_axis(self, node: NodeProto) -> bool:
        """A Slice / Split / Concat on an axis of a known size (not the batch or the sequence)."""
        shape = self.shapes.get(node.output[0])
        if shape is None:
            return False
        if node.op_type == "Slice":
            axes = self.g.value(node.input[3]) if len(node.input) > 3 and node.input[3] in self.g.const else None
            chosen = None if axes is None else [int(a) for a in np.asarray(axes).reshape(-1)]
            if chosen is None or any(x and x not in self.g.const for x in node.input[1:]):
                return False
        else:
            chosen = [int(attr(node, "axis", 0))]
            if node.op_type == "Split" and len(node.input) > 1 and node.input[1] and node.input[1] not in self.g.const:
                return False
        return all(isinstance(shape[a], int) for a in chosen)

    def clone(self, node: NodeProto, made: set[str]) -> NodeProto | None:
        """``node`` on the rows, or None when it is not known to compute each row from that row alone."""
        op, g = node.op_type, self.g
        inputs: list[str] = []
        for k, x in enumerate(node.input):
            if not x or x in g.const or (op == "Reshape" and k == 1):
                inputs.append(x)
            elif x in made:
                inputs.append(x + "_rows")
            else:
                fed = self._feed(x)
                if fed is None:
                    return None
                inputs.append(fed)
        extra: dict[str, Any] = {}
        if op == "Reshape":
            shape = self.shapes.get(node.output[0])
            if shape is None or shape[:2] != [self.batch, self.sequence] or not all(isinstance(d, int)
                                                                                  for d in shape[2:]):
                return None
            inputs[1] = self.const(f"masked_query_shape_{'_'.join(map(str, shape[2:]))}", [0, 0, *shape[2:]])
            extra["allowzero"] = 0
        elif op == "MatMul":
            weight = g.value(node.input[1]) if node.input[1] in g.const else None
            if node.input[0] in g.const or weight is None or weight.ndim != 2:
                return None
        elif op in _ON_AN_AXIS:
            if not self._fixed_axis(node):
                return None
        elif op == "Transpose" or op in _ROWWISE:
            if any(x in g.const and not _row_free(g, x) for x in node.input if x):
                return None
        else:
            return None
        clone = helper.make_node(op, inputs, [o + "_rows" if o else "" for o in node.output],
                                 name=node.name + "_query_rows", domain=node.domain)
        clone.attribute.extend(a for a in node.attribute if a.name not in extra)
        clone.attribute.extend(helper.make_attribute(k, v) for k, v in extra.items())
        return clone
