"""Runtime: models behind the ``MaskedLM`` protocol (ONNX Runtime sessions, the NumPy backend for Hugging Face
checkpoints, torch reference logits), their input contract, and what two compared models must share."""

from __future__ import annotations

from .compat import check_same_tokenizer, check_vocab, shared_max_length
from .contract import POSITIONS_INPUT, InputSpec, config_int
from .numpy_lm import NumpyMaskedLM
from .hub import ModelSource, resolve_model
from .loading import BACKENDS, Backend, load_model, open_model, pick_backend, unused_sibling
from .onnx_model import OnnxMaskedLM
from .onnx_proto import onnx_opsets
from .protocol import MaskedLM, check_inputs, check_max_length, check_model, check_pair, check_positions, default_max_length
from .reference_npz import TorchReference

__all__ = ["BACKENDS", "Backend", "load_model", "ModelSource", "open_model", "resolve_model", "pick_backend", "InputSpec", "MaskedLM", "NumpyMaskedLM", "OnnxMaskedLM",
           "POSITIONS_INPUT", "TorchReference", "check_inputs", "check_max_length", "check_model", "check_pair", "check_positions",
           "check_same_tokenizer", "check_vocab", "config_int", "default_max_length", "onnx_opsets",
           "shared_max_length", "unused_sibling"]
