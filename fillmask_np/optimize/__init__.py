"""Optimize (a side branch; needs the ``onnx`` package): rewrite an exported model so that its LM head runs on
the masked rows only, optionally quantize it to int8 (static: calibrated, batch-invariant; or dynamic), and
check the result against the original before writing."""

from __future__ import annotations

from .outcome import CALIBRATION_SAMPLES, OptimizeReport
from .rewrite import optimize_model

__all__ = ["CALIBRATION_SAMPLES", "OptimizeReport", "optimize_model"]
