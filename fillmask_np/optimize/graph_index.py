"""An index of an ONNX graph for ``optimize``'s surgery: producers, consumers, constants and their values.

Needs the ``onnx`` package; imported only through ``fillmask_np.optimize``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper


class Graph:
    """Index of a graph: producers, consumers, constants (computable from initializers alone), node order."""

    def __init__(self, model: ModelProto) -> None:
        g = model.graph
        self.model = model
        self.nodes = list(g.node)
        self.inits = {t.name: t for t in g.initializer}
        self.producer: dict[str, int] = {}
        self.consumers: dict[str, list[int]] = defaultdict(list)
        self.const: set[str] = set(self.inits)
        for i, node in enumerate(self.nodes):
            for out in node.output:
                if out:
                    self.producer[out] = i
            for x in node.input:
                if x:
                    self.consumers[x].append(i)
            inputs = [x for x in node.input if x]
            if node.op_type == "Constant" or (inputs and all(x in self.const for x in inputs)
                                              and node.op_type not in ("RandomNormal", "RandomUniform")):
                self.const.update(o for o in node.output if o)
        self.graph_outputs = {o.name for o in g.output}
        self._values: dict[str, np.ndarray | None] = {}

    def order(self, name: str) -> int:
        """Topological rank of a tensor: its producer's index (-1 for graph inputs and initializers)."""
        return self.producer.get(name, -1)

    def value(self, name: str) -> np.ndarray | None:
        """A constant tensor's value (initializer, Constant node, or folded with onnx's reference evaluator)."""
        if name not in self._values:
            self._values[name] = self._fold(name)
        return self._values[name]

    def _fold(self, name: str) -> np.ndarray | None:
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        needed, stack = [], [name]
        while stack:  # the constant subgraph that computes `name`
            t = stack.pop()
            if t in self.inits or t not in self.producer or self.producer[t] in needed:
                continue
            needed.append(self.producer[t])
            stack.extend(x for x in self.nodes[self.producer[t]].input if x)
        nodes = [self.nodes[i] for i in sorted(needed)]
        used = {x for n in nodes for x in n.input}
        try:
            from onnx.reference import ReferenceEvaluator

            graph = helper.make_graph(nodes, "fold", [], [helper.make_tensor_value_info(name, TensorProto.UNDEFINED,
                                                                                       None)],
                                      initializer=[t for n, t in self.inits.items() if n in used])
            model = helper.make_model(graph, opset_imports=self.model.opset_import, ir_version=self.model.ir_version)
            outputs = ReferenceEvaluator(model).run(None, {})  # a list; a dict only with intermediate=True
            return np.asarray(outputs[0] if isinstance(outputs, list) else outputs[name])
        except Exception:  # an op the reference evaluator lacks: treated as an unknown constant
            return None


def attr(node: NodeProto, name: str, default: Any = None) -> Any:
    """The value of a node attribute, or ``default``."""
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def opset(model: ModelProto) -> int:
    """The model's default-domain opset version."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)


def describe(node: NodeProto) -> str:
    """How error messages name a node: its op and name (or first output)."""
    return f"{node.op_type} node {node.name!r}" if node.name else f"{node.op_type} node (output {node.output[0]!r})"
