"""Optimize (a side branch; needs the ``onnx`` package): rewrite an exported model so that its LM head runs on
the masked rows only, optionally quantize it, and check the result against the original before writing."""

from __future__ import annotations

from .rewrite import FP32_TOLERANCE, OptimizeReport, optimize_model

__all__ = ["FP32_TOLERANCE", "OptimizeReport", "optimize_model"]
