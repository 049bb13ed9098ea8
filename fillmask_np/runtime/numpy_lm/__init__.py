"""The NumPy backend: Hugging Face checkpoints (config.json + safetensors) run without torch or ONNX Runtime.

``NumpyMaskedLM`` implements the ``MaskedLM`` protocol; ``SafetensorsFile`` reads one safetensors file with
NumPy alone; ``erf`` is the float64-accurate error function behind the exact GELU.
"""

from __future__ import annotations

from .model import NumpyMaskedLM
from .registry import SUPPORTED_MODEL_TYPES
from .safetensors import SafetensorsFile
from .special import erf

__all__ = ["NumpyMaskedLM", "SUPPORTED_MODEL_TYPES", "SafetensorsFile", "erf"]
