"""Tasks: the public verbs, wiring only: ``evaluate``, ``compare``, ``pseudo_log_likelihood`` /
``pseudo_perplexity`` and ``fill_mask``."""

from __future__ import annotations

from .comparison import compare
from .evaluation import LOGITS_BUDGET, evaluate
from .fill import fill_mask
from .inputs import input_paths
from .pll import pseudo_log_likelihood, pseudo_perplexity

__all__ = ["LOGITS_BUDGET", "compare", "evaluate", "fill_mask", "input_paths", "pseudo_log_likelihood",
           "pseudo_perplexity"]
