"""Provenance of a result: sha256 of model, tokenizer and data, runtime versions, the graph's opsets.

Every JSON report carries ``provenance(model, tokenizer, data)`` so that a number can be traced to
the exact files and software that produced it (hashes: ``text.hashing``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..text import data_sha256, file_sha256
from ..version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["provenance"]


def provenance(model: MaskedLM | None = None, tokenizer: Tokenizer | None = None, data: Any = None,
               **extra: Any) -> dict[str, Any]:
    """A JSON-ready record of what produced a result.

    Args:
        model: a ``MaskedLM`` (its ``describe()``: path, sha256, opsets, providers, threads), or None.
        tokenizer: a ``Tokenizer`` (source file and its sha256), or None.
        data: the data source given to the evaluation (path or list of strings), or None.
        **extra: further fields (seed, masking policy, variant, counts, ...), copied as given.
    Returns:
        a dict with ``fillmask_np``, ``onnxruntime``, ``numpy`` versions and the fields above.
    """
    import numpy as np

    out: dict[str, Any] = {"fillmask_np": __version__, "numpy": np.__version__}
    if model is not None:
        import onnxruntime as ort

        out["onnxruntime"] = ort.__version__
        out["model"] = model.describe()
    if tokenizer is not None:
        source = tokenizer.source
        is_file = bool(source) and Path(source).is_file()
        out["tokenizer"] = {"source": source, "sha256": file_sha256(source) if is_file else None,
                            "vocab_size": len(tokenizer)}
    if data is not None:
        out["data"] = {"source": str(data) if isinstance(data, (str, Path)) else f"<{type(data).__name__}>",
                       "sha256": data_sha256(data)}
    out.update(extra)
    return out
