"""Metrics: score the masked rows a model returns, and keep mergeable running totals for an evaluation, a
pseudo-log-likelihood run and a paired comparison, with per-token records and the comparison's verdict."""

from __future__ import annotations

from .counts import EVAL_REPORT_COUNTS, PLL_REPORT_COUNTS, too_many_unknown, unknown_summary, warn_unknown
from .criteria import judge, show_criterion
from .eval_totals import Totals
from .paired_totals import PairedTotals
from .pair_totals import PAIR_ROW_KEYS, PairTotals
from .pll_totals import PLL_SAMPLE_KEYS, PLLTotals
from .records import TokenCollector, worst_rows
from .scoring import passes, score_rows
from .profiles import FIDELITY, LOSSY, PROFILES, pick_profile
from .thresholds import Thresholds, relative, validate_thresholds

__all__ = ["EVAL_REPORT_COUNTS", "FIDELITY", "LOSSY", "PAIR_ROW_KEYS", "PLLTotals", "PLL_REPORT_COUNTS",
           "PLL_SAMPLE_KEYS", "PROFILES", "PairTotals", "PairedTotals", "Thresholds", "TokenCollector", "Totals", "judge",
           "passes", "pick_profile", "relative", "score_rows", "show_criterion", "too_many_unknown", "unknown_summary",
           "validate_thresholds", "warn_unknown", "worst_rows"]
