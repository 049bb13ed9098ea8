"""fillmask_np: evaluate fill-mask models with NumPy and ONNX Runtime, no torch at run time.

>>> import fillmask_np as fm
>>> tok = fm.Tokenizer.from_file("tokenizer.json")        # doctest: +SKIP
>>> model = fm.OnnxMaskedLM("model.onnx")                 # doctest: +SKIP
>>> report = fm.evaluate(model, tok, texts, seed=42)      # doctest: +SKIP

The package is one folder per stage of the flow: text -> tokenization -> masking -> runtime -> metrics ->
report -> tasks -> cli (``optimize`` a side branch). Every public name below is imported on first use
(PEP 562), so ``import fillmask_np`` loads no numpy, onnxruntime or tokenizers; ``optimize_model`` needs
the onnx package (``pip install 'fillmask_np[optimize]'``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers and IDEs
    from .config import MaskingConfig
    from .errors import (DataError, FillMaskError, FillMaskWarning, InputFileError, MaskingError, ModelError,
                         NumericsError, TokenizerError, UnknownTokensWarning)
    from .masking import MaskManifest, load_masks, mask_tokens, sample_rng, save_masks
    from .metrics import FIDELITY, LOSSY, Thresholds
    from .numerics import check_finite, cross_entropy, log_softmax, logsumexp
    from .optimize import OptimizeReport, optimize_model
    from .report import CompareReport, EvalReport, PairsReport, PLLReport, VariantReport, render_html
    from .runtime import MaskedLM, NumpyMaskedLM, OnnxMaskedLM, load_model
    from .tasks import (Generation, GenerationStep, Generations, compare, evaluate, fill_mask, generate, merge,
                        pseudo_log_likelihood, pseudo_perplexity, score_pairs, score_variants)
    from .text import iter_texts
    from .tokenization import Encoded, Tokenizer

_LAZY = {  # public name -> the stage folder (or leaf module) that defines it
    "MaskingConfig": "config",
    **dict.fromkeys(("DataError", "FillMaskError", "FillMaskWarning", "InputFileError", "MaskingError", "ModelError",
                     "NumericsError", "TokenizerError", "UnknownTokensWarning"), "errors"),
    "iter_texts": "text",
    **dict.fromkeys(("Encoded", "Tokenizer"), "tokenization"),
    **dict.fromkeys(("MaskManifest", "load_masks", "mask_tokens", "sample_rng", "save_masks"), "masking"),
    **dict.fromkeys(("check_finite", "cross_entropy", "log_softmax", "logsumexp"), "numerics"),
    **dict.fromkeys(("FIDELITY", "LOSSY", "Thresholds"), "metrics"),
    **dict.fromkeys(("MaskedLM", "NumpyMaskedLM", "OnnxMaskedLM", "load_model"), "runtime"),
    **dict.fromkeys(("CompareReport", "EvalReport", "PairsReport", "PLLReport", "VariantReport", "render_html"),
                     "report"),
    **dict.fromkeys(("compare", "evaluate", "fill_mask", "generate", "Generation", "GenerationStep", "Generations",
                     "merge", "pseudo_log_likelihood", "pseudo_perplexity", "score_pairs", "score_variants"), "tasks"),
    **dict.fromkeys(("OptimizeReport", "optimize_model"), "optimize"),
}

__all__ = [
    "__version__", "check_finite", "compare", "CompareReport", "cross_entropy", "DataError", "Encoded",
    "EvalReport", "evaluate", "FIDELITY", "fill_mask", "FillMaskError", "generate", "Generation", "GenerationStep",
    "Generations", "FillMaskWarning", "InputFileError", "iter_texts",
    "load_masks", "load_model", "log_softmax", "logsumexp", "LOSSY", "mask_tokens", "MaskedLM", "MaskingConfig", "MaskingError",
    "MaskManifest", "merge", "ModelError", "NumericsError", "NumpyMaskedLM", "OnnxMaskedLM", "optimize_model",
    "OptimizeReport", "PairsReport", "PLLReport", "pseudo_log_likelihood", "pseudo_perplexity", "render_html", "sample_rng",
    "save_masks", "score_pairs", "score_variants", "Thresholds", "VariantReport", "Tokenizer", "TokenizerError", "UnknownTokensWarning",
]


def __getattr__(name: str) -> Any:
    """Import the stage of a public name the first time it is used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
