"""Open a model by path, picking the backend: ONNX Runtime for an ``.onnx`` export, NumPy for a checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ..errors import FillMaskError, InputFileError

__all__ = ["BACKENDS", "open_model", "pick_backend"]

BACKENDS = ("auto", "onnx", "numpy")
_CHECKPOINT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def pick_backend(path: str | Path, backend: str = "auto") -> str:
    """``"onnx"`` or ``"numpy"`` for ``path``: ``backend`` itself, or with ``"auto"`` ONNX Runtime when there is an
    ``.onnx`` model (the file, or ``model.onnx`` in the directory) and NumPy when the directory holds only a
    Hugging Face checkpoint (``model.safetensors``, its sharded index, or a ``pytorch_model.bin`` to refuse).

    >>> pick_backend("export/model.onnx")
    'onnx'
    """
    if backend not in BACKENDS:
        raise FillMaskError(f"backend={backend!r} is not one of {list(BACKENDS)}")
    if backend != "auto":
        return backend
    path = Path(path)
    if path.suffix == ".onnx" or (path.is_dir() and (path / "model.onnx").exists()):
        return "onnx"
    if path.name in _CHECKPOINT_FILES or (path.is_dir() and any((path / f).exists() for f in _CHECKPOINT_FILES)):
        return "numpy"
    return "onnx"  # its loader says what is missing


def open_model(path: str | Path, *, backend: Literal["auto", "onnx", "numpy"] = "auto", **onnx_options: Any) -> Any:
    """The ``MaskedLM`` at ``path``: an ``OnnxMaskedLM`` (with ``onnx_options``: threads, providers, ...) or a
    ``NumpyMaskedLM``, as ``pick_backend`` decides.

    >>> model = open_model("checkpoint/")  # doctest: +SKIP
    """
    if not isinstance(path, (str, Path)):
        raise InputFileError(f"model path {path!r} is a {type(path).__name__}, not a path")
    if pick_backend(path, backend) == "numpy":
        from .numpy_lm import NumpyMaskedLM

        given = {k: v for k, v in onnx_options.items() if v not in (None, "auto") and k != "allow_spinning"}
        if given:
            raise FillMaskError(f"options {sorted(given)} apply to ONNX models; the NumPy backend of {str(path)!r} "
                                f"takes none (its BLAS threads follow OMP_NUM_THREADS / OPENBLAS_NUM_THREADS)")
        return NumpyMaskedLM(path)
    from .onnx_model import OnnxMaskedLM

    return OnnxMaskedLM(path, **onnx_options)
