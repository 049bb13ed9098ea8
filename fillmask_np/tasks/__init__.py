"""Tasks: the public verbs, wiring only: ``evaluate``, ``compare``, ``pseudo_log_likelihood`` /
``pseudo_perplexity``, ``fill_mask`` and ``generate``."""

from __future__ import annotations

from .blocks import eval_config, eval_report, score_samples
from .comparison import compare
from .evaluation import LOGITS_BUDGET, evaluate
from .fill import fill_mask
from .generation import generate
from .generation_result import Generation, GenerationStep, Generations
from .inputs import input_paths
from .merging import merge
from .minimal_pairs import score_pairs
from .variants import score_variants
from .pll import pseudo_log_likelihood, pseudo_perplexity

__all__ = ["LOGITS_BUDGET", "Generation", "GenerationStep", "Generations", "compare", "eval_config", "eval_report", "evaluate", "fill_mask",
           "generate", "input_paths", "merge", "score_pairs", "score_variants", "pseudo_log_likelihood", "pseudo_perplexity", "score_samples"]
