"""Metrics: score the masked rows a model returns, and keep mergeable running totals for an evaluation, a
pseudo-log-likelihood run and a paired comparison, with per-token records and the comparison's verdict."""

from __future__ import annotations

from .counts import (EVAL_COUNT_KEYS, EVAL_REPORT_COUNTS, PLL_COUNT_KEYS, PLL_REPORT_COUNTS, new_counts,
                     too_many_unknown, unknown_share, unknown_summary, warn_unknown)
from .criteria import SEVERITY, Criterion, judge, show_criterion
from .eval_totals import SAMPLE_KEYS, Totals
from .paired_totals import PAIRED_SAMPLE_KEYS, PAIRED_TOKEN_KEYS, PairedTotals
from .pair_totals import PAIR_COUNT_KEYS, PAIR_ROW_KEYS, PairTotals
from .pll_totals import PLL_SAMPLE_KEYS, TOKEN_KEYS, PLLTotals
from .records import COLUMNS, TokenCollector, mark_target, worst_rows
from .sample_rows import check_disjoint, merge_counts, row_fsums
from .scoring import Scored, passes, score_rows
from .profiles import FIDELITY, LOSSY, PROFILES, pick_profile
from .thresholds import Thresholds, relative, validate_thresholds, verdict

__all__ = ["COLUMNS", "Criterion", "FIDELITY", "LOSSY", "PROFILES", "EVAL_COUNT_KEYS", "EVAL_REPORT_COUNTS", "PLL_COUNT_KEYS",
           "PLL_REPORT_COUNTS", "PAIRED_SAMPLE_KEYS", "PAIRED_TOKEN_KEYS", "PAIR_COUNT_KEYS", "PAIR_ROW_KEYS", "PLL_SAMPLE_KEYS",
           "PairTotals",
           "PLLTotals", "SAMPLE_KEYS", "PairedTotals", "SEVERITY", "Scored", "TOKEN_KEYS", "Thresholds",
           "TokenCollector", "Totals", "check_disjoint", "judge", "mark_target", "merge_counts", "new_counts", "passes", "pick_profile",
           "relative", "row_fsums", "score_rows", "show_criterion", "too_many_unknown", "unknown_share", "unknown_summary", "validate_thresholds", "verdict",
           "warn_unknown", "worst_rows"]
