"""The exception hierarchy: every error the library raises on purpose is a ``FillMaskError``.

Each message says what was wrong (with the offending value's repr) and how to fix it, in one line,
so that the CLI can print it as ``error: ...`` and exit 2 without a traceback.
"""

from __future__ import annotations

__all__ = [
    "FillMaskError",
    "InputFileError",
    "ModelError",
    "TokenizerError",
    "DataError",
    "MaskingError",
    "NumericsError",
    "FillMaskWarning",
    "UnknownTokensWarning",
    "first_line",
]


class FillMaskError(ValueError):
    """Base class of every error fillmask_np raises about bad input."""


class InputFileError(FillMaskError):
    """A model, tokenizer or data path is missing, unreadable or of the wrong kind."""


class ModelError(FillMaskError):
    """The ONNX model cannot be loaded, or its inputs/outputs are not those of a masked LM."""


class TokenizerError(FillMaskError):
    """The tokenizer cannot be loaded, lacks a needed special token, or does not fit the model."""


class DataError(FillMaskError):
    """The evaluation text is empty, not UTF-8, or a JSONL record is malformed."""


class MaskingError(FillMaskError):
    """Masking probabilities or masking inputs are invalid."""


class NumericsError(FillMaskError):
    """Logits or labels are unusable: NaN/inf logits, labels out of range, shape mismatch."""


class FillMaskWarning(UserWarning):
    """A result that is computed but may not mean what the user thinks (the CLI prints it as one line)."""


class UnknownTokensWarning(FillMaskWarning):
    """Too many of a run's tokens are the tokenizer's unknown token: it cannot read the text (config's
    ``UNK_SHARE_LIMIT``), so the figures measure ``[UNK]``, not the text."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of a foreign library's error (onnxruntime, tokenizers), short enough for a one-line message."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__
