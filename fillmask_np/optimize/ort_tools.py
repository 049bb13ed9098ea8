"""ONNX Runtime's offline tools as ``optimize`` uses them: transformer fusions and dynamic int8 quantization
(static int8 is ``static_int8``), and the graph clean-ups quantization needs (untied weights, dead nodes).

Both live in the onnxruntime wheel (``onnxruntime.transformers``, ``onnxruntime.quantization``) and need
the ``onnx`` package; this module is imported only by ``fillmask_np.optimize``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from onnx import GraphProto, ModelProto, TensorProto, helper, numpy_helper

from ..errors import FillMaskError, ModelError, first_line
from .graph_index import Graph

LARGE = 1 << 30  # bytes of weights above which models are written with their tensors in a .data file


def weight_bytes(model: ModelProto) -> int:
    """Bytes of initializer data (raw or typed), to decide whether a model needs external data."""
    return sum(len(t.raw_data) or 4 * max(len(t.float_data), len(t.int64_data), len(t.int32_data))
               for t in model.graph.initializer)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the tools' advice logged at WARNING (e.g. "consider pre-processing before quantization")."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def symbolic_shapes(model: ModelProto) -> ModelProto | None:
    """A copy of ``model`` with every tensor's type and shape as ONNX Runtime's symbolic shape inference gives them
    (it knows ONNX Runtime's own ops and names the dims it cannot fix), or None when it fails."""
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    copy = ModelProto()
    copy.CopyFrom(model)
    try:
        with quiet():
            return SymbolicShapeInference.infer_shapes(copy, auto_merge=True)
    except Exception:  # its own failures (an op it cannot infer, sympy missing ...): no shapes
        return None


def fuse(model: ModelProto) -> tuple[ModelProto, dict[str, int]]:
    """onnxruntime.transformers' BERT fusions (opt_level 0: fusions only); returns the model and the fusion counts."""
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        with quiet():
            optimized = optimize_model(model, model_type="bert", num_heads=0, hidden_size=0, opt_level=0)
    except ImportError as exc:  # its shape inference needs sympy
        raise FillMaskError(f"onnxruntime's fusions need a package that is missing ({exc}): "
                            f"pip install 'fillmask_np[optimize]', or leave fusions off") from exc
    except Exception as exc:  # the fusion code raises whatever its pattern matching hits
        raise ModelError(f"onnxruntime.transformers' fusions failed on this model ({first_line(exc)}); "
                         f"leave fusions off (--no-fuse)") from exc
    counts = {k: int(v) for k, v in optimized.get_fused_operator_statistics().items() if v}
    model = optimized.model
    imported = {o.domain for o in model.opset_import}
    for domain in sorted({n.domain for n in model.graph.node} - imported - {"", "ai.onnx"}):
        model.opset_import.append(helper.make_opsetid(domain, 1))  # the fused contrib ops' domain
    return model, counts


def untie(model: ModelProto) -> tuple[ModelProto, list[str]]:
    """Give every MatMul whose weight is computed (``Transpose(embedding)`` of a tied decoder) or shared with
    another node an initializer of its own, so that dynamic quantization can quantize it; returns the names."""
    g = Graph(model)
    untied: list[str] = []
    taken = set(g.inits) | set(g.producer)
    for node in model.graph.node:
        if node.op_type != "MatMul" or len(node.input) < 2:
            continue
        weight = node.input[1]
        shared = weight in g.inits and any(g.nodes[c].op_type != "MatMul" for c in g.consumers[weight])
        computed = weight in g.const and weight not in g.inits
        if not (shared or computed):
            continue
        value = g.value(weight)
        if value is None:
            continue
        sources = [weight] if weight in g.inits else _source_weights(g, weight)
        name = f"{weight}_untied"
        while name in taken:
            name += "_"
        taken.add(name)
        model.graph.initializer.append(numpy_helper.from_array(value.copy(), name))
        node.input[1] = name
        untied.extend(s for s in sources if s not in untied)
    drop_dead_nodes(model)
    return model, untied


def _source_weights(g: Graph, name: str) -> list[str]:
    """The initializers a computed constant is made from (the embedding behind ``Transpose(embedding)``)."""
    found, stack, seen = [], [name], set()
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        if t in g.inits:
            found.append(t)
        elif t in g.producer:
            stack.extend(x for x in g.nodes[g.producer[t]].input if x)
    return sorted(found) or [name]


def _used_names(graph: GraphProto) -> set[str]:
    """Every tensor name a node of ``graph`` or of its subgraphs (If/Loop bodies) reads, and its outputs."""
    used = {o.name for o in graph.output}
    for node in graph.node:
        used.update(node.input)
        for attr in node.attribute:
            for sub in list(attr.graphs) + ([attr.g] if attr.HasField("g") else []):
                used |= _used_names(sub)
    return used


def drop_dead_nodes(model: ModelProto) -> None:
    """Remove nodes none of whose outputs is used (the Transpose left behind by ``untie``), then unused weights."""
    graph = model.graph
    while True:
        used = _used_names(graph)
        keep = [n for n in graph.node if any(o in used for o in n.output if o)]
        if len(keep) == len(graph.node):
            break
        del graph.node[:]
        graph.node.extend(keep)
    used |= {i.name for i in graph.input}
    inits = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def quantize(model: ModelProto, path: Path, *, per_channel: bool = True) -> None:
    """Dynamic int8 quantization of the MatMul weights (activations quantized at run time), written to ``path``.

    Each activation scale is computed per run from the whole input tensor, every row of the batch and its
    padding included, so a sample's logits depend on what it is batched with (not batch-invariant).

    Only MatMul: embeddings stay float (a lookup costs nothing to speed up). Per-channel weight scales:
    on splade-tiny / WikiText-2 they cost +0.07 % cross-entropy against +0.17 % per tensor, at the same speed.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        with quiet():
            quantize_dynamic(model, str(path), op_types_to_quantize=["MatMul"], per_channel=per_channel,
                             weight_type=QuantType.QInt8,
                             extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT},
                             use_external_data_format=weight_bytes(model) > LARGE)
    except Exception as exc:  # onnxruntime.quantization raises RuntimeError, ValueError, ... on graphs it cannot handle
        raise ModelError(f"onnxruntime's dynamic quantization failed on this model ({first_line(exc)}); "
                         f"optimize it without --int8") from exc
