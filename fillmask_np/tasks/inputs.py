"""The files a run reads, so that no output of the run may overwrite one of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["input_paths"]


def input_paths(model: MaskedLM | None, tokenizer: Tokenizer | None, texts: Any = None,
                masks: Any = None) -> list[Path]:
    """The existing files among a run's inputs: data, the model's files (``MaskedLM.files``), tokenizer, masks.

    >>> input_paths(None, None, "no/such/file.txt")
    []
    """
    candidates: list[Any] = [texts if isinstance(texts, (str, Path)) else None]
    if model is not None:
        candidates += list(model.files)
    if tokenizer is not None:
        candidates.append(tokenizer.source)
    candidates.append(masks if isinstance(masks, (str, Path)) else getattr(masks, "path", None))
    return [Path(c) for c in candidates if isinstance(c, (str, Path)) and str(c) and Path(c).is_file()]
