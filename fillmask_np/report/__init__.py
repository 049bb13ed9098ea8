"""Reports: ``EvalReport``, ``PLLReport`` and ``CompareReport`` built from the metrics' totals, provenance
records, per-token tables and their files, and the HTML page of a report (``report.html``)."""

from __future__ import annotations

from .compare_report import CompareReport
from .eval_report import EvalReport
from .html import render_html
from .per_token import token_table
from .partial_file import check_partial_path, read_partial, write_partial
from .pairs_report import PairsReport
from .pll_report import PLLReport
from .trace import provenance
from .tokens_file import check_tokens_path, write_tokens
from .variants_report import VariantReport

__all__ = ["CompareReport", "EvalReport", "PLLReport", "PairsReport", "VariantReport", "check_partial_path",
           "check_tokens_path", "provenance", "read_partial", "render_html", "token_table", "write_partial", "write_tokens"]
