"""The opsets an ONNX file imports and its quantized operators, read from its protobuf bytes without the ``onnx``
package."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

__all__ = ["onnx_opsets", "quantized_ops"]

# operators that compute on 8-bit integers (ONNX and com.microsoft); plus any op named Q<Upper>... (QLinearMatMul,
# QAttention, QGemm, QOrderedMatMul, QEmbedLayerNormalization, ...)
_QUANTIZED = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "MatMulIntegerToFloat",
              "ConvInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM", "MatMulNBits", "MatMulBnb4")


def _varint(buf: bytes | memoryview, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes | memoryview) -> Iterable[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message's top-level fields."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        value: int | bytes | memoryview
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def onnx_opsets(path: str | Path) -> dict[str, int]:
    """The opset of each operator domain an ONNX file imports, the default domain (``""`` in the file) named
    ``"ai.onnx"`` as the ONNX specification names it.

    Reads ModelProto.opset_import (field 8) without the ``onnx`` package; {} when the file cannot be parsed.
    """
    try:
        buf = Path(path).read_bytes()
        opsets = {}
        for number, wire, value in _fields(buf):
            if number == 8 and wire == 2:  # OperatorSetIdProto {1: domain, 2: version}
                entry = {n: v for n, _, v in _fields(value)}
                opsets[bytes(entry.get(1, b"")).decode("utf-8") or "ai.onnx"] = int(entry.get(2, 0))
        return opsets
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return {}


def _is_quantized(op: str) -> bool:
    return op in _QUANTIZED or (len(op) > 1 and op[0] == "Q" and op[1].isupper())


def quantized_ops(path: str | Path) -> list[str]:
    """The sorted quantized operator types (``QuantizeLinear``, ``MatMulInteger``, ``QLinear*``, ...) in the main
    graph of an ONNX file: empty for a float32 / float16 model, or when the file cannot be parsed.

    Reads ModelProto.graph (field 7) -> NodeProto (field 1) -> op_type (field 4) without the ``onnx`` package.
    """
    try:
        buf = memoryview(Path(path).read_bytes())  # slices of a memoryview copy nothing: initializers stay put
        found: set[str] = set()
        for number, wire, graph in _fields(buf):
            if number == 7 and wire == 2:
                for n, w, node in _fields(graph):
                    if n == 1 and w == 2:
                        op = next((bytes(v).decode("utf-8") for k, _, v in _fields(node) if k == 4), "")
                        if _is_quantized(op):
                            found.add(op)
        return sorted(found)
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return []
