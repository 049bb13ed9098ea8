"""fillmask_np: evaluate ONNX fill-mask models with NumPy and ONNX Runtime, no torch at run time.

>>> import fillmask_np as fm
>>> tok = fm.Tokenizer.from_file("tokenizer.json")        # doctest: +SKIP
>>> model = fm.OnnxMaskedLM("model.onnx")                 # doctest: +SKIP
>>> report = fm.evaluate(model, tok, texts, seed=42)      # doctest: +SKIP

onnxruntime and tokenizers are imported on first use, not here; ``optimize_model`` (``fillmask-np
optimize``) imports onnx, which only it needs (``pip install 'fillmask_np[optimize]'``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers and IDEs
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


_LAZY = {  # public name -> its module, imported on first use (PEP 562): import fillmask_np stays cheap
    "CompareReport": "compare",
    "compare": "compare",
    "iter_texts": "data",
    "DataError": "errors",
    "FillMaskError": "errors",
    "InputFileError": "errors",
    "MaskingError": "errors",
    "ModelError": "errors",
    "NumericsError": "errors",
    "TokenizerError": "errors",
    "EvalReport": "evaluate",
    "evaluate": "evaluate",
    "mask_tokens": "masking",
    "sample_rng": "masking",
    "MaskManifest": "masks_file",
    "load_masks": "masks_file",
    "save_masks": "masks_file",
    "check_finite": "numerics",
    "cross_entropy": "numerics",
    "log_softmax": "numerics",
    "logsumexp": "numerics",
    "OnnxMaskedLM": "onnx_model",
    "OptimizeReport": "optimize",
    "optimize_model": "optimize",
    "PLLReport": "pppl",
    "pseudo_log_likelihood": "pppl",
    "pseudo_perplexity": "pppl",
    "fill_mask": "predict",
    "Encoded": "tokenizer",
    "Tokenizer": "tokenizer",
}


def __getattr__(name: str) -> Any:
    """Import the module of a public name the first time it is used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``fillmask_np.evaluate`` / ``fillmask_np.compare`` the functions: importing a submodule binds it
    as an attribute of the package, which would hide the function of the same name (eager imports rebound it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
