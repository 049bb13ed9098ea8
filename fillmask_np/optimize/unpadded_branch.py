"""``optimize``: an unpadded batch skips the attention mask.

The fused attention nodes (``attention_fusion``) take an additive mask bias [B, 1, L, L] built from
``attention_mask``: building it and adding it to every score costs a sixth of the golden ESM-2's run on a batch of
masked copies, and a batch without padding (``attention_mask`` all ones: every row of a protein's copies) adds
zeros. Each node reading the bias, and the nodes building it, go into ``If`` nodes on ``attention_mask`` being all
ones: the padded branches are those nodes as they were; the unpadded ones leave the bias out (``MultiHeadAttention``
without its bias input, an ``Add`` of the bias, or of a row gathered from it, becomes its other input) and never
build it. Adding zeros changes no bit, so both give the same logits for an unpadded batch; every other node stays in
the main graph, where ONNX Runtime fuses it as before.

Applied only where it is proven: the bias depends on ``attention_mask`` alone, and computed for all-ones masks of
several lengths up to the model's limit (a sliding window, say, would show) it is zero everywhere. The check that
follows runs unpadded rows alone against the same rows in padded batches (``batch_difference``).

Needs the ``onnx`` package; imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, NodeProto, ValueInfoProto, helper, numpy_helper

from .attention_fusion import MHA_DOMAIN
from .graph_index import Graph
from .ort_tools import symbolic_shapes

__all__ = ["MASK_INPUT", "branch_unpadded"]

MASK_INPUT = "attention_mask"
_KEEPS_ZERO = {"Transpose", "GatherND", "Gather", "Unsqueeze", "Squeeze", "Reshape", "Slice", "Expand", "Identity",
               "Flatten"}  # ops that move a tensor's values (its first input): zeros stay zeros
_PROBE_LENGTHS = ((1, 1), (2, 3), (1, 17), (2, 130), (1, 1024))  # (batch, length) of the all-ones masks tried


def branch_unpadded(model: ModelProto, max_length: int | None) -> tuple[ModelProto, bool]:
    """Put the attention's mask bias under ``If`` nodes: without padding, the attention runs without it.

    Args:
        model: the rewritten float32 model (``MultiHeadAttention`` nodes with a bias input).
        max_length: the model's longest input (config.json), the longest all-ones mask tried; None: 1024.
    Returns:
        (the model, whether it was changed); unchanged when the bias is not provably zero without padding.
    """
    g = Graph(model)
    inputs = {i.name for i in model.graph.input}
    biases = {n.input[5] for n in g.nodes if n.domain == MHA_DOMAIN and len(n.input) > 5 and n.input[5]}
    if MASK_INPUT not in inputs or not biases:
        return model, False
    zero, reads = set(biases), dict[int, str]()  # tensors zero without padding; consumer -> the zero tensor it reads
    todo = list(biases)
    while todo:
        x = todo.pop()
        for c in g.consumers[x]:
            node = g.nodes[c]
            if node.op_type in _KEEPS_ZERO and node.input[0] == x and not any(y in zero for y in node.input[1:]):
                zero.update(o for o in node.output if o)
                todo.extend(o for o in node.output if o)
            elif reads.get(c, x) == x and ((node.domain == MHA_DOMAIN and list(node.input).index(x) == 5)
                                            or (node.op_type == "Add" and sum(y in zero for y in node.input) == 1)):
                reads[c] = x  # the bias, or a row of it, read by an attention node or added to its scores
            else:
                return model, False
    dtype = _zero_without_padding(model, g, sorted(biases), max_length) if _sources(g, biases) == {MASK_INPUT} else None
    if dtype is None:
        return model, False
    return _split(model, g, zero, reads, dtype)


def _sources(g: Graph, names: set[str]) -> set[str]:
    """The graph inputs whose values ``names`` are computed from (an input read only by ``Shape`` gives its shape)."""
    seen, todo, found = set(), list(names), set()
    while todo:
        x = todo.pop()
        if x in seen or x in g.inits:
            continue
        seen.add(x)
        if x in g.producer:
            node = g.nodes[g.producer[x]]
            todo.extend(y for y in node.input if y and node.op_type != "Shape")
        else:
            found.add(x)
    return found


def _zero_without_padding(model: ModelProto, g: Graph, biases: list[str], max_length: int | None) -> int | None:
    """The biases' element type when each is all zeros for all-ones masks of the probe shapes (lengths capped at
    ``max_length``), else None."""
    import onnxruntime as ort

    needed, todo = set(), list(biases)
    while todo:  # the nodes the biases are computed by
        x = todo.pop()
        if x in g.producer and g.producer[x] not in needed:
            needed.add(g.producer[x])
            todo.extend(y for y in g.nodes[g.producer[x]].input if y)
    nodes = [g.nodes[i] for i in sorted(needed)]
    used = {y for n in nodes for y in n.input}
    fed = [i for i in model.graph.input if i.name in used]  # the mask, and inputs whose shape only is read
    graph = helper.make_graph(nodes, "bias", fed, [ValueInfoProto(name=b) for b in biases],
                              initializer=[t for t in model.graph.initializer if t.name in used])
    probe = helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    types = set()
    try:
        session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
        for batch, length in _PROBE_LENGTHS:
            length = min(length, max_length or length)
            feed = {i.name: np.full((batch, length), i.name == MASK_INPUT,
                                    dtype=helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type)) for i in fed}
            for out in session.run(None, feed):
                out = np.asarray(out)
                if not np.all(out == 0):
                    return None
                types.add(helper.np_dtype_to_tensor_dtype(out.dtype))
    except Exception:  # an op ONNX Runtime cannot run alone: not proven
        return None
    return types.pop() if len(types) == 1 else None


def _split(model: ModelProto, g: Graph, zero: set[str], reads: dict[int, str], dtype: int) -> tuple[ModelProto, bool]:
    """The bias's producers in one ``If`` (unpadded: a zero placeholder), each reader in its own ``If``."""
    build: set[int] = set()  # the nodes computing only for the readers' bias inputs
    for i in reversed(range(len(g.nodes))):
        outs = [o for o in g.nodes[i].output if o]
        if i not in reads and outs and all(o not in g.graph_outputs and g.consumers.get(o) and all(
                c in build or (c in reads and reads[c] == o) for c in g.consumers[o]) for o in outs):
            build.add(i)
    made = {o for i in build for o in g.nodes[i].output if o}
    terminals = sorted(set(reads.values()))
    if not set(terminals) <= made:
        return model, False
    external = {y for i in build for y in g.nodes[i].input if y and y not in made and y in g.producer}
    ready = max((g.producer[y] for y in external), default=-1)  # the bias If runs after this node
    if ready >= min(reads):
        return model, False
    condition = [helper.make_node("Cast", [MASK_INPUT], ["unpadded_mask"], to=7),
                 helper.make_node("ReduceMin", ["unpadded_mask"], ["unpadded_min"], keepdims=0),
                 helper.make_node("ReduceMax", ["unpadded_mask"], ["unpadded_max"], keepdims=0),
                 helper.make_node("Equal", ["unpadded_min", "unpadded_one"], ["unpadded_low"]),
                 helper.make_node("Equal", ["unpadded_max", "unpadded_one"], ["unpadded_high"]),
                 helper.make_node("And", ["unpadded_low", "unpadded_high"], ["unpadded"])]
    placeholder = numpy_helper.from_array(np.zeros(1, dtype=helper.tensor_dtype_to_np_dtype(dtype)))
    unpadded = helper.make_graph([helper.make_node("Constant", [], [t + "_unpadded"], value=placeholder)
                                  for t in terminals], "bias_unpadded", [],
                                 [helper.make_tensor_value_info(t + "_unpadded", dtype, None) for t in terminals])
    padded = helper.make_graph([_renamed(g.nodes[i], made, "_padded") for i in sorted(build)], "bias_padded", [],
                               [helper.make_tensor_value_info(t + "_padded", dtype, None) for t in terminals])
    bias_if = helper.make_node("If", ["unpadded"], terminals, name="unpadded_bias", then_branch=unpadded,
                               else_branch=padded)
    nodes = list(condition) + ([bias_if] if ready < 0 else [])
    for i, node in enumerate(g.nodes):
        if i in reads:
            nodes.append(_reader_if(node, reads[i], dtype))
        elif i not in build:
            nodes.append(node)
        if i == ready:
            nodes.append(bias_if)
    declared = {o for i in reads for o in g.nodes[i].output if o}
    shapes = _shapes(model, declared)
    if set(shapes) != declared:  # undeclared If outputs would keep ONNX Runtime from fusing the nodes after them
        return model, False
    model.graph.initializer.append(numpy_helper.from_array(np.array(1, dtype=np.int64), "unpadded_one"))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    kept_info = [v for v in model.graph.value_info if v.name not in made and v.name not in shapes]
    del model.graph.value_info[:]
    model.graph.value_info.extend(kept_info + list(shapes.values()))
    return model, True


def _shapes(model: ModelProto, names: set[str]) -> dict[str, ValueInfoProto]:
    """The inferred types and shapes of ``names`` (ONNX Runtime's symbolic shape inference, which knows its own
    ops), declared on the ``If`` outputs so that ONNX Runtime's fusions after them still see their shapes."""
    inferred = symbolic_shapes(model)
    return {} if inferred is None else {v.name: v for v in inferred.graph.value_info if v.name in names}


def _reader_if(node: NodeProto, bias: str, dtype: int) -> NodeProto:
    """``node`` under an ``If``: unpadded, without ``bias`` (an attention node's inputs before it; an ``Add``: its
    other input); padded, as it is."""
    outs = [o for o in node.output]
    if node.op_type == "Add":
        other = next(y for y in node.input if y != bias)
        bare = helper.make_node("Identity", [other], [outs[0] + "_unpadded"])
    else:
        inputs = list(node.input[:5])
        while inputs and not inputs[-1]:
            inputs.pop()
        bare = helper.make_node(node.op_type, inputs, [o + "_unpadded" if o else "" for o in outs], domain=node.domain)
        bare.attribute.extend(node.attribute)
    as_is = _renamed(node, set(outs), "_padded")
    branches = [helper.make_graph([n], node.name + suffix, [], [ValueInfoProto(name=o + suffix) for o in outs if o])
                for n, suffix in ((bare, "_unpadded"), (as_is, "_padded"))]
    return helper.make_node("If", ["unpadded"], outs, name=node.name + "_unpadded_if", then_branch=branches[0],
                            else_branch=branches[1])


def _renamed(node: NodeProto, made: set[str], suffix: str) -> NodeProto:
    """A copy of ``node`` whose tensors in ``made`` carry ``suffix`` (a branch's own names)."""
    clone = helper.make_node(node.op_type, [x + suffix if x in made else x for x in node.input],
                             [o + suffix if o in made else o for o in node.output], name=node.name, domain=node.domain)
    clone.attribute.extend(node.attribute)
    return clone
