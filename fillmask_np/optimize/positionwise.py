"""Which ops act on each position alone, so that the LM head may run on gathered rows instead.

A node is position-wise when its output at (batch b, position l) depends on its inputs at (b, l) only:
element-wise ops whose constant operands do not vary along batch or sequence (a scalar, [H],
[1, 1, H]), MatMul by a constant 2-D weight, normalizations, reductions and softmax over the last
axis, and an embedding lookup (Gather of ids from a constant table). Anything else (Reshape,
Transpose, attention, a MatMul of two activations, Gemm on flattened rows, ...) is not.
"""

from __future__ import annotations

from onnx import NodeProto

from .graph_index import Graph, attr, describe, opset

__all__ = ["LAST_AXIS_NORMS", "why_not_positionwise"]

# element-wise ops: extra inputs must be constants that do not vary along batch or sequence
_ELEMENTWISE = {
    "Abs", "Add", "And", "Cast", "Ceil", "Celu", "Clip", "Cos", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp",
    "Floor", "Gelu", "Greater", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "Less", "Log", "Max", "Mean",
    "Min", "Mish", "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "Reciprocal", "Relu", "Round", "Selu", "Sigmoid",
    "Sign", "Sin", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tanh", "Where",
    "BiasGelu", "FastGelu", "QuickGelu",  # com.microsoft
}
# normalizations over the last axis: input (and skip) from the chain, the rest constants
LAST_AXIS_NORMS = {"LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization",
                   "SkipSimplifiedLayerNormalization", "RMSNormalization"}
_REDUCTIONS = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
               "ReduceSumSquare", "ReduceLogSumExp"}
_SOFTMAX = {"Softmax", "LogSoftmax"}


def _position_free(g: Graph, name: str) -> bool:
    """A constant that broadcasts along the last axis only (a scalar, [H], [1, 1, H], ...)."""
    value = g.value(name)
    return value is not None and value.ndim <= 3 and all(d == 1 for d in value.shape[:-1])


def _last_axis(axis: int | None, rank: int) -> bool:
    return axis is not None and axis in (-1, rank - 1)


def why_not_positionwise(g: Graph, node: NodeProto, rank: int) -> str | None:
    """None when ``node`` computes each position from that position alone, else the reason it does not."""
    op = node.op_type
    ins = list(node.input)
    chain = [x for x in ins if x and x not in g.const]
    consts = [x for x in ins if x and x in g.const]
    if not chain:
        return f"{describe(node)} has only constant inputs"
    if op in _ELEMENTWISE:
        bad = [x for x in consts if not _position_free(g, x)]
        return f"{describe(node)} has a constant {bad[0]!r} that varies along batch or sequence" if bad else None
    if op == "MatMul":
        weight = g.value(ins[1]) if ins[1] in g.const else None
        if ins[0] in g.const or weight is None or weight.ndim != 2:
            return f"{describe(node)} does not multiply by a constant 2-D weight"
        return None
    if op in LAST_AXIS_NORMS:
        n_chain = 2 if op.startswith("Skip") else 1
        if any(x in g.const for x in ins[:n_chain]) or any(x and x not in g.const for x in ins[n_chain:]):
            return f"{describe(node)} has non-constant scale or bias"
        if op in ("LayerNormalization", "RMSNormalization") and not _last_axis(attr(node, "axis", -1), rank):
            return f"{describe(node)} normalizes over axis {attr(node, 'axis')}, not the last one"
        return None
    if op in _REDUCTIONS:
        axes = attr(node, "axes")
        if axes is None and len(ins) > 1 and ins[1]:
            value = g.value(ins[1]) if ins[1] in g.const else None
            axes = None if value is None else value.reshape(-1).tolist()
        if axes is None or len(axes) != 1 or not _last_axis(axes[0], rank) or attr(node, "keepdims", 1) != 1:
            return f"{describe(node)} does not reduce the last axis only with keepdims"
        return None
    if op in _SOFTMAX:  # before opset 13 the default axis is 1, and the input is flattened from the axis on
        axis = attr(node, "axis", -1 if opset(g.model) >= 13 else 1)
        return None if _last_axis(axis, rank) else f"{describe(node)} is not over the last axis"
    if op == "Gather":  # an embedding lookup of ids from the chain
        if ins[0] in g.const and ins[1] not in g.const and attr(node, "axis", 0) == 0:
            return None
        return f"{describe(node)} is not a lookup in a constant table"
    return f"{describe(node)} mixes positions (or is not known to act on each position alone)"
