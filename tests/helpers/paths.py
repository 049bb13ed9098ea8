"""Where the test material lives: the committed golden data and the optional ../shared real material."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(os.environ.get("FILLMASK_NP_GOLDEN", REPO / "golden_data"))  # a dev export elsewhere, for exporter work
SHARED = Path(os.environ.get("FILLMASK_NP_SHARED", REPO.parent / "shared"))
EVAL_TXT = GOLDEN / "text" / "eval.txt"


def load_manifest() -> dict:
    """The golden manifest (``golden_data/manifest.json``)."""
    return json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8"))


def load_case(name: str) -> dict[str, np.ndarray]:
    """The arrays of golden case ``name``."""
    manifest = load_manifest()
    with np.load(GOLDEN / manifest["cases"][name]["file"], allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def require_shared(*parts: str) -> Path:
    """The path under ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the real models and text of ../shared are not beside this checkout")
    return path
