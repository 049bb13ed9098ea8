"""What the tests share: paths to the golden and shared material, the golden models, fake masked LMs, file
readers, torch-style reference files and WikiText lines (toy ONNX graphs: ``helpers.onnx_graphs``, which
needs onnx)."""

from __future__ import annotations

from .fakes import CountsMasks, FakeMaskedLM, FixedLogits, TableModel
from .files import load_npz, sha256
from .golden_models import load_golden
from .paths import EVAL_TXT, GOLDEN, REPO, SHARED, load_case, load_manifest, require_shared
from .reference_npz import write_reference_npz
from .wikitext import wikitext_lines

__all__ = ["CountsMasks", "EVAL_TXT", "FakeMaskedLM", "FixedLogits", "GOLDEN", "REPO", "SHARED", "TableModel",
           "load_case", "load_golden", "load_manifest", "load_npz", "require_shared", "sha256", "wikitext_lines",
           "write_reference_npz"]
