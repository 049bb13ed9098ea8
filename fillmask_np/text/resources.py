"""Where the bundled default model and text live (installed package or source checkout)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["default_model_dir", "default_text_path"]

_SOURCE_ROOT = Path(__file__).resolve().parents[2] / "golden_data"


def _locate(package: str, name: str, fallback: Path) -> Path:
    try:
        path = Path(str(resources.files(package).joinpath(name)))
        if path.exists():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return fallback / name


def default_model_dir() -> Path:
    """Directory of the bundled tiny BERT (model.onnx, tokenizer.json, config.json)."""
    return _locate("fillmask_np.default_model", "model.onnx", _SOURCE_ROOT / "models" / "bert").parent


def default_text_path() -> Path:
    """The bundled evaluation text, written for this project (one sample per line)."""
    return _locate("fillmask_np.default_text", "eval.txt", _SOURCE_ROOT / "text")
