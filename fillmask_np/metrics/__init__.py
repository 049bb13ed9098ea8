"""Metrics: score the masked rows a model returns, and keep mergeable running totals for an evaluation, a
pseudo-log-likelihood run and a paired comparison, with per-token records and the comparison's verdict."""

from __future__ import annotations

from .criteria import SEVERITY, Criterion, judge
from .eval_totals import Totals
from .paired_totals import PairedTotals
from .pll_totals import TOKEN_KEYS, PLLTotals
from .records import COLUMNS, TokenCollector, mark_target, worst_rows
from .scoring import Scored, passes, score_rows
from .thresholds import DEFAULT_THRESHOLDS, Thresholds, relative, validate_thresholds, verdict

__all__ = ["COLUMNS", "Criterion", "DEFAULT_THRESHOLDS", "PLLTotals", "PairedTotals", "SEVERITY", "Scored",
           "TOKEN_KEYS", "Thresholds", "TokenCollector", "Totals", "judge", "mark_target", "passes", "relative",
           "score_rows", "validate_thresholds", "verdict", "worst_rows"]
