"""Reports: ``EvalReport``, ``PLLReport`` and ``CompareReport`` built from the metrics' totals, provenance
records, and per-token record files."""

from __future__ import annotations

from .compare_report import CompareReport
from .eval_report import EvalReport
from .pll_report import PLLReport
from .trace import provenance
from .tokens_file import check_tokens_path, write_tokens

__all__ = ["CompareReport", "EvalReport", "PLLReport", "check_tokens_path", "provenance", "write_tokens"]
