"""safetensors files and tiny checkpoints written by hand (struct, json, numpy): good ones of every layout the
NumPy backend reads, and bad ones, one per validation error."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

__all__ = ["write_safetensors", "write_raw", "bf16_bits", "tiny_bert", "bad_checkpoint", "BAD_KINDS"]

_CODES = {np.dtype(k): v for k, v in (("<f8", "F64"), ("<f4", "F32"), ("<f2", "F16"), ("<i8", "I64"),
                                       ("<i4", "I32"), ("<i2", "I16"), ("i1", "I8"), ("u1", "U8"), ("?", "BOOL"))}


def write_raw(path: Path, header: dict, data: bytes, *, header_bytes: bytes | None = None,
              claimed_length: int | None = None) -> Path:
    """Write ``8-byte length + header JSON + data`` exactly as given (for files that break the format)."""
    raw = json.dumps(header).encode("utf-8") if header_bytes is None else header_bytes
    length = len(raw) if claimed_length is None else claimed_length
    path.write_bytes(struct.pack("<Q", length) + raw + data)
    return path


def write_safetensors(path: Path, tensors: dict[str, np.ndarray | tuple[str, np.ndarray]], *,
                      metadata: dict[str, str] | None = None, header_pad: int = 8) -> Path:
    """A valid safetensors file: tensors (or (dtype code, raw array) pairs, e.g. ("BF16", uint16 bits)) in
    order, the header padded with spaces to a multiple of ``header_pad`` (1: no padding)."""
    header: dict = {"__metadata__": metadata} if metadata is not None else {}
    chunks, offset = [], 0
    for name, value in tensors.items():
        code, array = value if isinstance(value, tuple) else (_CODES[np.asarray(value).dtype], np.asarray(value))
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        chunks.append(blob)
        offset += len(blob)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % header_pad)
    return write_raw(path, {}, b"".join(chunks), header_bytes=raw)


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """The bfloat16 bit patterns (uint16) of float32 ``values``, truncated (their top 16 bits)."""
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def tiny_bert(directory: Path, *, seed: int = 0, vocab: int = 1000, hidden: int = 16, heads: int = 2,
              layers: int = 2, inner: int = 32, positions: int = 64, prefix: str = "bert.", legacy: bool = False,
              dtype: str = "F32", shards: int = 1, model_type: str = "bert") -> dict[str, np.ndarray]:
    """A random BertForMaskedLM checkpoint (config.json + safetensors) in ``directory``; returns its float32
    tensors by HF name (bf16 / f16 checkpoints: the values after rounding, i.e. what the file holds)."""
    rng = np.random.default_rng(seed)
    shapes = {"embeddings.word_embeddings.weight": (vocab, hidden),
              "embeddings.position_embeddings.weight": (positions, hidden),
              "embeddings.token_type_embeddings.weight": (2, hidden),
              "embeddings.LayerNorm.weight": (hidden,), "embeddings.LayerNorm.bias": (hidden,)}
    for i in range(layers):
        name = f"encoder.layer.{i}"
        for part in ("query", "key", "value"):
            shapes |= {f"{name}.attention.self.{part}.weight": (hidden, hidden),
                       f"{name}.attention.self.{part}.bias": (hidden,)}
        shapes |= {f"{name}.attention.output.dense.weight": (hidden, hidden),
                   f"{name}.attention.output.dense.bias": (hidden,),
                   f"{name}.attention.output.LayerNorm.weight": (hidden,),
                   f"{name}.attention.output.LayerNorm.bias": (hidden,),
                   f"{name}.intermediate.dense.weight": (inner, hidden), f"{name}.intermediate.dense.bias": (inner,),
                   f"{name}.output.dense.weight": (hidden, inner), f"{name}.output.dense.bias": (hidden,),
                   f"{name}.output.LayerNorm.weight": (hidden,), f"{name}.output.LayerNorm.bias": (hidden,)}
    shapes = {prefix + k: v for k, v in shapes.items()}
    shapes |= {"cls.predictions.transform.dense.weight": (hidden, hidden),
               "cls.predictions.transform.dense.bias": (hidden,),
               "cls.predictions.transform.LayerNorm.weight": (hidden,),
               "cls.predictions.transform.LayerNorm.bias": (hidden,), "cls.predictions.bias": (vocab,)}
    values = {k: (rng.normal(size=s) * (0.3 if len(s) == 2 else 0.1) + (1.0 if "LayerNorm.weight" in k else 0.0))
              .astype(np.float32) for k, s in shapes.items()}
    stored: dict[str, np.ndarray | tuple[str, np.ndarray]] = {}
    for name, value in values.items():
        if dtype == "BF16":
            bits = bf16_bits(value)
            values[name] = (bits.astype(np.uint32) << 16).view(np.float32)
            stored[name] = ("BF16", bits)
        elif dtype == "F16":
            stored[name] = value.astype(np.float16)
            values[name] = stored[name].astype(np.float32)
        else:
            stored[name] = value
    if legacy:
        stored = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
                  for k, v in stored.items()}
    directory.mkdir(parents=True, exist_ok=True)
    config = {"model_type": model_type, "vocab_size": vocab, "hidden_size": hidden, "num_attention_heads": heads,
              "num_hidden_layers": layers, "intermediate_size": inner, "max_position_embeddings": positions,
              "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0,
              "tie_word_embeddings": True}
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if shards == 1:
        write_safetensors(directory / "model.safetensors", stored, metadata={"format": "pt"})
        return values
    names = list(stored)
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = names[s::shards]
        write_safetensors(directory / file, {n: stored[n] for n in part})
        weight_map |= dict.fromkeys(part, file)
    (directory / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}), encoding="utf-8")
    return values


BAD_KINDS = ("short-file", "header-longer-than-file", "header-not-json", "overlapping-offsets",
             "offsets-out-of-range", "unknown-dtype", "shape-disagrees-with-bytes", "missing-tensor",
             "pytorch-bin-only", "unsupported-model-type", "shard-missing", "shard-lacks-tensor")


def bad_checkpoint(kind: str, root: Path) -> Path:
    """A checkpoint directory under ``root`` broken as ``kind`` names (one of ``BAD_KINDS``)."""
    directory = root / kind
    values = tiny_bert(directory, vocab=50, hidden=8, layers=1, inner=8, positions=16)
    st = directory / "model.safetensors"
    a = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    if kind == "short-file":
        st.write_bytes(b"\x01\x00")
    elif kind == "header-longer-than-file":
        write_raw(st, {"x": a}, bytes(8), claimed_length=10**6)
    elif kind == "header-not-json":
        write_raw(st, {}, bytes(8), header_bytes=b"{not json")
    elif kind == "overlapping-offsets":
        write_raw(st, {"first": a, "second": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12))
    elif kind == "offsets-out-of-range":
        write_raw(st, {"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8))
    elif kind == "unknown-dtype":
        write_raw(st, {"x": {"dtype": "F8_E9M9", "shape": [2], "data_offsets": [0, 2]}}, bytes(2))
    elif kind == "shape-disagrees-with-bytes":
        write_raw(st, {"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8))
    elif kind == "missing-tensor":
        gone = "bert.encoder.layer.0.intermediate.dense.weight"
        write_safetensors(st, {n: v for n, v in values.items() if n != gone})
    elif kind == "pytorch-bin-only":
        st.unlink()
        (directory / "pytorch_model.bin").write_bytes(b"\x80\x02 not a pickle anyone should load")
    elif kind == "unsupported-model-type":
        (directory / "config.json").write_text(json.dumps({"model_type": "gpt2"}), encoding="utf-8")
    elif kind in ("shard-missing", "shard-lacks-tensor"):
        st.unlink()
        tiny_bert(directory, vocab=50, hidden=8, layers=1, inner=8, positions=16, shards=2)
        index = directory / "model.safetensors.index.json"
        data = json.loads(index.read_text(encoding="utf-8"))
        if kind == "shard-missing":
            (directory / "model-00002-of-00002.safetensors").unlink()
        else:  # the index puts a tensor of shard 1 in shard 2
            moved = next(n for n, f in data["weight_map"].items() if f == "model-00001-of-00002.safetensors")
            data["weight_map"][moved] = "model-00002-of-00002.safetensors"
        index.write_text(json.dumps(data), encoding="utf-8")
    else:
        raise ValueError(f"unknown bad checkpoint kind {kind!r}")
    return directory
