"""fillmask_np: evaluate ONNX fill-mask models with NumPy and ONNX Runtime, no torch at run time.

>>> import fillmask_np as fm
>>> tok = fm.Tokenizer.from_file("tokenizer.json")        # doctest: +SKIP
>>> model = fm.OnnxMaskedLM("model.onnx")                 # doctest: +SKIP
>>> report = fm.evaluate(model, tok, texts, seed=42)      # doctest: +SKIP

onnxruntime and tokenizers are imported on first use, not here; ``optimize_model`` (``fillmask-np
optimize``) imports onnx, which only it needs (``pip install 'fillmask_np[optimize]'``).
"""

from __future__ import annotations

from .compare import CompareReport, compare
from .data import iter_texts
from .errors import (
    DataError,
    FillMaskError,
    InputFileError,
    MaskingError,
    ModelError,
    NumericsError,
    TokenizerError,
)
from .evaluate import EvalReport, evaluate
from .masking import mask_tokens, sample_rng
from .masks_file import MaskManifest, load_masks, save_masks
from .numerics import check_finite, cross_entropy, log_softmax, logsumexp
from .onnx_model import OnnxMaskedLM
from .optimize import OptimizeReport, optimize_model
from .pppl import PLLReport, pseudo_log_likelihood, pseudo_perplexity
from .predict import fill_mask
from .tokenizer import Encoded, Tokenizer

__version__ = "0.1.0"

__all__ = [
    "CompareReport",
    "DataError",
    "Encoded",
    "EvalReport",
    "FillMaskError",
    "InputFileError",
    "MaskManifest",
    "MaskingError",
    "ModelError",
    "NumericsError",
    "OnnxMaskedLM",
    "OptimizeReport",
    "PLLReport",
    "Tokenizer",
    "TokenizerError",
    "check_finite",
    "compare",
    "cross_entropy",
    "evaluate",
    "fill_mask",
    "iter_texts",
    "load_masks",
    "log_softmax",
    "logsumexp",
    "mask_tokens",
    "optimize_model",
    "pseudo_log_likelihood",
    "pseudo_perplexity",
    "sample_rng",
    "save_masks",
]
