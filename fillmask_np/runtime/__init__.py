"""Runtime: models behind the ``MaskedLM`` protocol (ONNX Runtime sessions, the NumPy backend for Hugging Face
checkpoints, torch reference logits), their input contract, and what two compared models must share."""

from __future__ import annotations

from .compat import check_same_tokenizer, check_vocab, shared_max_length
from .contract import POSITIONS_INPUT, config_int
from .numpy_lm import NumpyMaskedLM
from .hub import ModelSource, resolve_model
from .loading import Backend, load_model, open_model, pick_backend, unused_sibling
from .onnx_model import OnnxMaskedLM
from .protocol import MaskedLM, check_max_length, check_pair
from .reference_npz import TorchReference

__all__ = ["Backend", "MaskedLM", "ModelSource", "NumpyMaskedLM", "OnnxMaskedLM", "POSITIONS_INPUT", "TorchReference",
           "check_max_length", "check_pair", "check_same_tokenizer", "check_vocab", "config_int", "load_model",
           "open_model", "pick_backend", "resolve_model", "shared_max_length", "unused_sibling"]
