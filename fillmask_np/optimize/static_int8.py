"""Static int8: ``onnxruntime.quantization.quantize_static`` with fixed, calibrated activation scales.

Dynamic quantization computes each activation scale at run time from the whole input tensor (every row
of the batch, padding included), so a sample's logits move with batch size and composition. Here the
scales are constants fixed from calibration feeds (``calibration``), so each row is quantized on its own
and its logits do not depend on what it is batched with.

Choices, measured on splade-tiny / 300 WikiText-2 lines (``python bench/int8_invariance.py``, bench/INT8.md):

* only MatMuls with a constant weight (the attention products of two activations stay float), weights
  int8 per channel, activations uint8 (the x86 fast path; with symmetric ranges the grid equals int8's);
* Percentile calibration at 99.99 % of |x|: cross-entropy +0.001 % against float32 (+0.016 to +0.020 %
  with other seeds' calibration draws), MinMax +0.19 %, Entropy +0.023 % (golden BERT on eval.txt:
  -0.005 %, -0.056 %, -0.18 %); one unpadded sample per calibration pass (``CalibStridedMinMax`` = 1:
  the histogram calibrators need equal shapes within a pass);
* QDQ format, outputs left float, then ``qdq_fold``: 1.47-1.79x float32's speed over two runs, as fast
  as dynamic int8 (0.96-1.05x); unfolded QDQ 1.29-1.59x; QOperator (``QLinearMatMul``, every output and
  the logits requantized to uint8) 1.14-1.38x and +0.042 %.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from onnx import ModelProto

from ..errors import ModelError, first_line
from ..text import Progress
from .ort_tools import LARGE, quiet, weight_bytes
from .qdq_fold import fold_qdq_matmuls

__all__ = ["CALIBRATIONS", "METHOD", "PERCENTILE", "quantize_static_int8"]

PERCENTILE = 99.99  # share of |activation| values the calibrated range covers
METHOD = f"percentile {PERCENTILE:g} %"
CALIBRATIONS = ("percentile", "minmax", "entropy")  # the first is the default; the others for bench/ comparisons


def _constant_matmuls(model: ModelProto) -> list[str]:
    """Names of the MatMul nodes whose weight is an initializer (unnamed nodes are given a name)."""
    inits = {t.name for t in model.graph.initializer}
    taken = {n.name for n in model.graph.node if n.name}
    names = []
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)
        if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in inits:
            names.append(node.name)
    return names


def _reader(feeds: list[dict[str, np.ndarray]], bar: Progress) -> Any:  # a CalibrationDataReader (untyped)
    """A ``CalibrationDataReader`` over ``feeds`` that can be limited to a range (one feed per collection); ``bar``
    counts the feeds handed out."""
    from onnxruntime.quantization import CalibrationDataReader

    class FeedReader(CalibrationDataReader):
        def __init__(self) -> None:
            self._items = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self._items, None)
            if item is not None:
                bar.update(1, int(item["input_ids"].size) if "input_ids" in item else 0)
            return item

        def __len__(self) -> int:
            return len(feeds)

        def set_range(self, start_index: int, end_index: int) -> None:
            self._items = iter(feeds[start_index:end_index])

    return FeedReader()


def quantize_static_int8(model: ModelProto, feeds: list[dict[str, np.ndarray]], *, calibrate: str = "percentile",
                         quant_format: str = "qdq", fold: bool = True,
                         progress: bool | None = False) -> tuple[ModelProto, int]:
    """Quantize the constant-weight MatMuls of ``model`` with scales calibrated on ``feeds``.

    Args:
        model: the float32 model, tied weights already untied (``ort_tools.untie``).
        feeds: calibration inputs, one dict per sample (``calibration.calibration_feeds``).
        calibrate: "percentile" (``PERCENTILE``), "minmax" or "entropy"; the defaults are what ``optimize``
            uses, the alternatives are there for bench/int8_invariance.py's comparison.
        quant_format: "qdq" or "qoperator" (``QLinearMatMul``, outputs requantized).
        fold: QDQ only: fold each MatMul and its bias into ``MatMulIntegerToFloat`` (``qdq_fold``).
        progress: a progress bar of the calibration samples run, on stderr (None: when stderr is a terminal).
    Returns:
        the quantized model and the number of MatMuls folded.
    Raises:
        ModelError: when onnxruntime's quantization fails on the graph.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    methods = dict(zip(CALIBRATIONS, (CalibrationMethod.Percentile, CalibrationMethod.MinMax,
                                      CalibrationMethod.Entropy)))
    formats = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}
    if calibrate not in methods or quant_format not in formats:
        raise ModelError(f"calibrate={calibrate!r} / quant_format={quant_format!r}: expected one of "
                         f"{CALIBRATIONS} / {tuple(formats)}")
    names = _constant_matmuls(model)
    if not names:
        raise ModelError("the model has no MatMul by a constant weight to quantize; optimize it without int8")
    large = weight_bytes(model) > LARGE
    with tempfile.TemporaryDirectory(prefix="fillmask_np_static_int8_") as tmp:
        path = Path(tmp) / "qdq.onnx"
        bar = Progress(enabled=progress, label="calibration", total=len(feeds))
        try:
            with quiet(), contextlib.redirect_stdout(io.StringIO()):  # the calibrators print their progress
                quantize_static(model, str(path), _reader(feeds, bar), quant_format=formats[quant_format],
                                op_types_to_quantize=["MatMul"], nodes_to_quantize=names, per_channel=True,
                                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                                calibrate_method=methods[calibrate], use_external_data_format=large,
                                extra_options={"MatMulConstBOnly": True, "CalibPercentile": PERCENTILE,
                                               "CalibStridedMinMax": 1,  # one feed per pass: lengths differ
                                               "OpTypesToExcludeOutputQuantization": ["MatMul"]})
        except Exception as exc:  # onnxruntime.quantization raises whatever its graph code hits
            raise ModelError(f"onnxruntime's static quantization failed on this model ({first_line(exc)}); "
                             f"try dynamic int8, or optimize it without int8") from exc
        finally:
            bar.close()
        import onnx

        quantized = onnx.load(str(path))
    return quantized, fold_qdq_matmuls(quantized) if fold and quant_format == "qdq" else 0
