"""Which ``model_type`` the NumPy backend runs, with which base-model prefix and loader; the rest is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import ModelError
from .albert import load_albert
from .bert import load_bert
from .checkpoint import Checkpoint
from .deberta import load_deberta
from .distilbert import load_distilbert
from .esm import load_esm
from .modernbert import load_modernbert
from .network import Network

__all__ = ["Network", "SUPPORTED_MODEL_TYPES", "load_network"]


_Loader = Callable[[Checkpoint, dict[str, Any], str], Network]
_FAMILIES: dict[str, tuple[str, _Loader]] = {  # model_type -> (base-model prefix, loader)
    "bert": ("bert", load_bert),
    "roberta": ("roberta", load_bert),
    "xlm-roberta": ("roberta", load_bert),
    "electra": ("electra", load_bert),
    "albert": ("albert", load_albert),
    "distilbert": ("distilbert", load_distilbert),
    "esm": ("esm", load_esm),
    "modernbert": ("model", load_modernbert),
    "deberta-v2": ("deberta", load_deberta),
}
SUPPORTED_MODEL_TYPES = tuple(sorted(_FAMILIES))


def load_network(directory: Path, config: dict[str, Any], *,
                 dtype: np.dtype[Any] | None = None) -> tuple[Network, Checkpoint]:
    """The forward pass config.json's ``model_type`` names, with the checkpoint's weights as ``dtype``
    (float32 by default; float64 runs the whole network in float64).

    Raises ``ModelError`` listing the supported types when ``model_type`` is missing or another one.
    """
    model_type = config.get("model_type")
    if model_type not in _FAMILIES:
        said = f"model_type={model_type!r}" if "model_type" in config else "no model_type"
        raise ModelError(f"config.json in {str(directory)!r} has {said}; the NumPy backend runs "
                         f"{', '.join(SUPPORTED_MODEL_TYPES)}: run this model's ONNX export with OnnxMaskedLM")
    prefix, loader = _FAMILIES[model_type]
    checkpoint = Checkpoint(directory, prefix, dtype=np.dtype(np.float32) if dtype is None else dtype)
    return loader(checkpoint, config, model_type), checkpoint
