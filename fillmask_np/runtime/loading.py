"""Open a model by path, picking the backend: ONNX Runtime for an ``.onnx`` export, NumPy for a checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import FillMaskError, InputFileError
from .hub import ModelSource, resolve_model

if TYPE_CHECKING:  # pragma: no cover
    from .numpy_lm import NumpyMaskedLM
    from .onnx_model import OnnxMaskedLM
    from .protocol import MaskedLM

__all__ = ["BACKENDS", "Backend", "load_model", "open_model", "pick_backend", "unused_sibling"]

Backend = Literal["auto", "onnx", "numpy"]
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


def open_model(path: str | Path | ModelSource, *, backend: Backend = "auto", precision: str | None = None,
               **onnx_options: Any) -> MaskedLM:
    """The ``MaskedLM`` at ``path``: an ``OnnxMaskedLM`` (with ``onnx_options``: threads, providers, ...) or a
    ``NumpyMaskedLM``, as ``pick_backend`` decides. ``fm.load_model`` is this function.

    Args:
        path: an ``.onnx`` file, an export directory, a checkpoint directory, or a Hugging Face Hub id
            ``ORG/NAME[@REVISION]`` (``hub.resolve_model``: from the cache, downloaded when missing; the repo's
            ONNX export when it ships one, else its safetensors; ``describe()["hub"]`` records repo and commit).
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
        precision: the NumPy backend's arithmetic, ``"float32"`` (default) or ``"float64"`` (the exact
            reference); refused for an ONNX model, which computes in its graph's precision.
        onnx_options: ``OnnxMaskedLM``'s options.
    Returns:
        the opened model.

    >>> model = open_model("checkpoint/", precision="float64")  # doctest: +SKIP
    """
    if not isinstance(path, (str, Path, ModelSource)):
        raise InputFileError(f"model path {path!r} is a {type(path).__name__}, not a path")
    source = path if isinstance(path, ModelSource) else resolve_model(path, backend=backend)
    model = _open(source.path, backend=backend, precision=precision, **onnx_options)
    model.hub = source.hub
    return model


load_model = open_model  # the top-level name: fm.load_model("ORG/NAME") or fm.load_model("checkpoint/")


def _open(path: Path, *, backend: Backend, precision: str | None,
          **onnx_options: Any) -> NumpyMaskedLM | OnnxMaskedLM:
    """``open_model`` of a local path."""
    if pick_backend(path, backend) == "numpy":
        from .numpy_lm import NumpyMaskedLM

        given = {k: v for k, v in onnx_options.items() if v not in (None, "auto") and k != "allow_spinning"}
        if given:
            raise FillMaskError(f"options {sorted(given)} apply to ONNX models; the NumPy backend of {str(path)!r} "
                                f"takes none (it runs one sequence per CPU, BLAS on one thread each; "
                                f"NumpyMaskedLM(path, threads=...) sets how many at once)")
        return NumpyMaskedLM(path) if precision is None else NumpyMaskedLM(path, precision=precision)
    if precision is not None:
        raise FillMaskError(f"precision={precision!r} applies to the NumPy backend (a checkpoint directory: "
                            f"config.json + model.safetensors); the ONNX model {str(path)!r} computes in its "
                            f"graph's precision: drop the precision (--precision / --reference-precision)")
    from .onnx_model import OnnxMaskedLM

    return OnnxMaskedLM(path, **onnx_options)


def unused_sibling(info: dict[str, Any]) -> str | None:
    """For a model whose directory holds both a checkpoint and ``model.onnx``, one line saying which one was run
    and how to run the other; None otherwise. ``info`` is the model's ``describe()`` record.

    >>> unused_sibling({"backend": "numpy", "path": "/nowhere"}) is None
    True
    """
    path = Path(str(info.get("path", "")))
    if info.get("backend") == "onnx" and path.name == "model.onnx":
        nested = path.parent.name == "onnx"  # a Hub repo's layout: onnx/model.onnx
        folder, export = (path.parent.parent, "onnx/model.onnx") if nested else (path.parent, "model.onnx")
        beside = [f for f in _CHECKPOINT_FILES if (folder / f).exists()]
        if beside:
            return (f"{str(folder)!r} holds a checkpoint ({beside[0]}) and {export}: {export} was run "
                    f"(ONNX Runtime); backend='numpy' (--reference-backend numpy) runs the checkpoint")
    exports = [f for f in ("model.onnx", "onnx/model.onnx") if (path / f).exists()]
    if info.get("backend") == "numpy" and exports:
        return (f"{str(path)!r} holds a checkpoint and {exports[0]}: the checkpoint was run (NumPy backend); "
                f"backend='onnx' (--reference-backend onnx) runs {exports[0]}")
    return None
