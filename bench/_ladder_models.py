"""The damaged models of the verdict ladder (bench/verdict_ladder.py), built with the onnx package, seeded.

* ``perturb_feed_forward``: Gaussian noise, relative to each weight's standard deviation, added to the
  feed-forward MatMul weights (the non-square ones: attention projections are square) of an ONNX graph;
* ``float16_copy``: ``onnxruntime.transformers.float16`` conversion of a float32 export;
* ``permuted_tokenizer`` + ``PermutedIds``: the model read through a tokenizer whose (non-special) token ids
  are permuted, as if a checkpoint were shipped with another tokenizer of the same size.

tests/cli/test_compare_verdict.py loads this file too (by path), so the test and the ladder perturb alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

SIDE_FILES = (".json", ".txt")  # config.json and the tokenizer files travel with the model (not the weights)


def _model_file(path: Path) -> Path:
    return path / "model.onnx" if path.is_dir() else path


def copy_side_files(src: Path, dst_dir: Path) -> None:
    """Copy config.json and the tokenizer files beside ``src`` into ``dst_dir``."""
    if src.is_dir():
        for f in src.iterdir():
            if f.suffix in SIDE_FILES and f.is_file():
                shutil.copy2(f, dst_dir / f.name)


def feed_forward_weights(model: Any) -> list[str]:
    """Names of the 2-D float initializers that MatMul nodes use and that are not square: the feed-forward
    up and down projections of a BERT-like encoder (a tied decoder is reached through Transpose/Gemm, not here)."""
    from onnx import TensorProto

    inits = {i.name: i for i in model.graph.initializer}
    names = []
    for node in model.graph.node:
        if node.op_type != "MatMul":
            continue
        for name in node.input:
            t = inits.get(name)
            if (t is not None and t.data_type == TensorProto.FLOAT and len(t.dims) == 2 and t.dims[0] != t.dims[1]
                    and name not in names):
                names.append(name)
    return names


def perturb_feed_forward(src: str | Path, dst_dir: str | Path, level: float, *, seed: int = 0) -> dict[str, Any]:
    """Write ``dst_dir/model.onnx``: the model at ``src`` with ``w += level * std(w) * N(0, 1)`` on each
    feed-forward weight (``numpy.random.default_rng([seed, i])`` for the i-th weight); returns what changed."""
    import onnx
    from onnx import numpy_helper

    src, dst_dir = Path(src), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    model = onnx.load(str(_model_file(src)))
    names = feed_forward_weights(model)
    if not names:
        raise ValueError(f"{src}: no non-square MatMul weight (feed-forward projection) to perturb")
    by_name = {i.name: i for i in model.graph.initializer}
    for i, name in enumerate(names):
        w = numpy_helper.to_array(by_name[name]).astype(np.float64)
        noise = np.random.default_rng([seed, i]).standard_normal(w.shape)
        new = (w + level * w.std() * noise).astype(np.float32)
        by_name[name].CopyFrom(numpy_helper.from_array(new, name))
    onnx.save(model, str(dst_dir / "model.onnx"))
    copy_side_files(src, dst_dir)
    return {"level": level, "seed": seed, "weights": names}


def float16_copy(src: str | Path, dst_dir: str | Path) -> Path:
    """Write ``dst_dir/model.onnx``: float16 weights, inputs and outputs (``convert_float_to_float16``)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    src, dst_dir = Path(src), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    model = convert_float_to_float16(onnx.load(str(_model_file(src))), keep_io_types=False)
    onnx.save(model, str(dst_dir / "model.onnx"))
    copy_side_files(src, dst_dir)
    return dst_dir


def permuted_tokenizer(src_dir: str | Path, dst_dir: str | Path, *, seed: int = 0) -> Path:
    """Write ``dst_dir/tokenizer.json``: ``src_dir``'s WordPiece/BPE vocabulary with every id that is not an
    added (special) token permuted among themselves (``numpy.random.default_rng(seed)``); same size."""
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    data = json.loads((src_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab: dict[str, int] = data["model"]["vocab"]
    special = {t["id"] for t in data.get("added_tokens", [])}
    movable = sorted(i for i in vocab.values() if i not in special)
    moved = dict(zip(movable, np.random.default_rng(seed).permutation(movable).tolist()))
    data["model"]["vocab"] = {tok: moved.get(i, i) for tok, i in vocab.items()}
    (dst_dir / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for name in ("config.json", "tokenizer_config.json"):
        if (src_dir / name).is_file():
            shutil.copy2(src_dir / name, dst_dir / name)
    return dst_dir


def id_map(right: Any, wrong: Any) -> np.ndarray:
    """[V] int64: the id the ``wrong`` tokenizer gives to each token of the ``right`` one (both ``fm.Tokenizer``)."""
    tokens = right.convert_ids_to_tokens(list(range(len(right))))
    ids = [wrong.backend.token_to_id(t) for t in tokens]
    if None in ids:
        raise ValueError("the two tokenizers do not hold the same tokens")
    return np.asarray(ids, dtype=np.int64)


class PermutedIds:
    """A ``MaskedLM``: ``model`` fed the ids a wrong tokenizer gives (``perm[id]``), its logits read back in
    the right tokenizer's ids (column t = the model's logit for ``perm[t]``). Equivalent to scoring the
    model with the wrong tokenizer, on the same masks as the reference."""

    def __init__(self, model: Any, perm: np.ndarray) -> None:
        self.model, self.perm = model, perm
        self.name = f"{model.name} (ids permuted)"
        self.vocab_size, self.max_length = model.vocab_size, model.max_length
        self.gathers_positions, self.input_names = model.gathers_positions, model.input_names
        self.files = model.files

    def check_tokenizer(self, tokenizer: Any) -> None:
        """The wrapped model's check."""
        self.model.check_tokenizer(tokenizer)

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        """[M, V] logits of the model on the permuted ids, columns in the right tokenizer's order."""
        rows = self.model.masked_logits(self.perm[input_ids], attention_mask, token_type_ids, positions,
                                        pad_token_id=int(self.perm[pad_token_id]))
        return rows[:, self.perm]

    def describe(self) -> dict[str, Any]:
        """The wrapped model's record, marked."""
        return {**self.model.describe(), "ids": "permuted (wrong tokenizer)"}
