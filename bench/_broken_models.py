"""Broken exports for the verdict ladder's fidelity rungs: one ONNX graph edit each, the onnx package only.

Each ``break_*`` function reads an export (``model.onnx`` or its directory), applies one defect a faulty
conversion could plausibly make, and writes ``dst_dir/model.onnx`` with config.json and the tokenizer files
beside it (``_ladder_models.copy_side_files``):

* ``zero_decoder_bias``: the LM head's output bias (the 1-D initializer as wide as the vocabulary) set to 0;
* ``scale_last_layer_norm``: the scale of the graph's last LayerNormalization (the head's) times ``factor``;
* ``shift_positions``: the position embedding table moved up one row (position i reads row i + 1);
* ``ignore_attention_mask``: every consumer of the ``attention_mask`` input reads a tensor of ones instead;
* ``noise_one_layer``: seeded Gaussian noise of ``level`` x std(w) on layer 0's MatMul weights (the first
  1 / num_hidden_layers of the 2-D MatMul weights in node order).

tests/helpers/ladder.py loads this file by path, so the tests break a model exactly as bench/verdict_ladder.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["BREAKS", "ignore_attention_mask", "noise_one_layer", "scale_last_layer_norm", "shift_positions",
           "zero_decoder_bias"]


def _edit(src: str | Path, dst_dir: str | Path, change: Callable[[Any, dict[str, Any]], None]) -> Path:
    """Load the export at ``src``, apply ``change(model, initializers by name)``, save it in ``dst_dir``."""
    import onnx
    import _ladder_models as lm  # bench/ is on sys.path for the ladder; tests/helpers/ladder.py puts it there

    src, dst_dir = Path(src), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    model = onnx.load(str(src / "model.onnx" if src.is_dir() else src))
    change(model, {i.name: i for i in model.graph.initializer})
    onnx.save(model, str(dst_dir / "model.onnx"))
    lm.copy_side_files(src, dst_dir)
    return dst_dir


def _set(init: Any, array: np.ndarray) -> None:
    from onnx import numpy_helper

    init.CopyFrom(numpy_helper.from_array(array.astype(np.float32), init.name))


def _array(init: Any) -> np.ndarray:
    from onnx import numpy_helper

    return numpy_helper.to_array(init)


def zero_decoder_bias(src: str | Path, dst_dir: str | Path, *, vocab_size: int) -> Path:
    """The export with its 1-D initializer of ``vocab_size`` floats (the decoder bias) zeroed."""
    def change(model: Any, inits: dict[str, Any]) -> None:
        biases = [i for i in inits.values() if list(i.dims) == [vocab_size] and i.data_type == 1]
        if len(biases) != 1:
            raise ValueError(f"{src}: {len(biases)} float initializers of shape [{vocab_size}]; expected the decoder "
                             f"bias alone")
        _set(biases[0], np.zeros(vocab_size))
    return _edit(src, dst_dir, change)


def scale_last_layer_norm(src: str | Path, dst_dir: str | Path, *, factor: float = 0.7) -> Path:
    """The export with the scale of its last LayerNormalization node times ``factor``."""
    def change(model: Any, inits: dict[str, Any]) -> None:
        norms = [n for n in model.graph.node if n.op_type == "LayerNormalization"]
        if not norms or norms[-1].input[1] not in inits:
            raise ValueError(f"{src}: no LayerNormalization with an initializer scale")
        scale = inits[norms[-1].input[1]]
        _set(scale, _array(scale) * factor)
    return _edit(src, dst_dir, change)


def shift_positions(src: str | Path, dst_dir: str | Path) -> Path:
    """The export with its position embedding table rolled by one row: position i gets row i + 1's vector."""
    def change(model: Any, inits: dict[str, Any]) -> None:
        tables = [i for name, i in inits.items() if "position_embeddings" in name and len(i.dims) == 2]
        if len(tables) != 1:
            raise ValueError(f"{src}: {len(tables)} position embedding tables; expected one")
        _set(tables[0], np.roll(_array(tables[0]), -1, axis=0))  # [P, H]: row i <- row i + 1
    return _edit(src, dst_dir, change)


def ignore_attention_mask(src: str | Path, dst_dir: str | Path) -> Path:
    """The export with every reader of ``attention_mask`` fed ones of its shape (the input stays, unused)."""
    from onnx import TensorProto, helper

    def change(model: Any, inits: dict[str, Any]) -> None:
        g = model.graph
        readers = [n for n in g.node if "attention_mask" in n.input]
        if not readers:
            raise ValueError(f"{src}: nothing reads attention_mask")
        ones = [helper.make_node("Shape", ["attention_mask"], ["ladder_mask_shape"]),
                helper.make_node("ConstantOfShape", ["ladder_mask_shape"], ["ladder_ones"],
                                 value=helper.make_tensor("one", TensorProto.INT64, [1], [1]))]
        for node in readers:
            node.input[:] = ["ladder_ones" if x == "attention_mask" else x for x in node.input]
        nodes = ones + list(g.node)
        del g.node[:]
        g.node.extend(nodes)
    return _edit(src, dst_dir, change)


def noise_one_layer(src: str | Path, dst_dir: str | Path, *, level: float = 0.03, seed: int = 0) -> Path:
    """The export with ``w + level * std(w) * N(0, 1)`` (``numpy.random.default_rng([seed, i])``) on each of
    layer 0's MatMul weights: the first 1 / num_hidden_layers of the 2-D MatMul weights in node order."""
    def change(model: Any, inits: dict[str, Any]) -> None:
        src_dir = Path(src) if Path(src).is_dir() else Path(src).parent
        layers = int(json.loads((src_dir / "config.json").read_text(encoding="utf-8"))["num_hidden_layers"])
        names: list[str] = []
        for node in model.graph.node:
            if node.op_type == "MatMul":
                names += [x for x in node.input if x in inits and len(inits[x].dims) == 2 and x not in names]
        for i, name in enumerate(names[:len(names) // layers]):
            w = _array(inits[name]).astype(np.float64)
            _set(inits[name], w + level * w.std() * np.random.default_rng([seed, i]).standard_normal(w.shape))
    return _edit(src, dst_dir, change)


# (rung name, function of (src, dst_dir, vocab_size) -> the broken export's directory), in the ladder's order
BREAKS: tuple[tuple[str, Callable[[Path, Path, int], Path]], ...] = (
    ("decoder bias zeroed", lambda s, d, v: zero_decoder_bias(s, d, vocab_size=v)),
    ("last LayerNorm weight x0.7", lambda s, d, v: scale_last_layer_norm(s, d, factor=0.7)),
    ("position embeddings shifted by one", lambda s, d, v: shift_positions(s, d)),
    ("attention mask ignored", lambda s, d, v: ignore_attention_mask(s, d)),
    ("3 % noise on layer 0's weights", lambda s, d, v: noise_one_layer(s, d, level=0.03, seed=0)),
)
