"""Pure NumPy: stable log-softmax and logsumexp, finite checks, per-row scores, losses and paired statistics."""

from __future__ import annotations

from .losses import cross_entropy
from .paired import PairedRows, paired_bootstrap, paired_rows, top_k_indices
from .rows import row_nll_and_rank, row_nll_rank_top
from .softmax import as_float, check_finite, log_softmax, logsumexp

__all__ = ["PairedRows", "as_float", "check_finite", "cross_entropy", "log_softmax", "logsumexp", "paired_bootstrap",
           "paired_rows", "row_nll_and_rank", "row_nll_rank_top", "top_k_indices"]
