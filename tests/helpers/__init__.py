"""What the tests share: paths to the golden and shared material, fake masked LMs, toy ONNX graphs."""

from __future__ import annotations

from .fakes import CountsMasks, FakeMaskedLM, FixedLogits, TableModel
from .paths import EVAL_TXT, GOLDEN, REPO, SHARED, load_case, load_manifest, require_shared

__all__ = ["CountsMasks", "EVAL_TXT", "FakeMaskedLM", "FixedLogits", "GOLDEN", "REPO", "SHARED", "TableModel",
           "load_case", "load_manifest", "require_shared"]
