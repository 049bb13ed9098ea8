"""Distributed: score a corpus on a Ray cluster with Ray Data (the ``[ray]`` extra), the same report as
``fillmask_np.evaluate`` bit for bit.

>>> import fillmask_np.distributed as fmd
>>> report = fmd.evaluate("corpus.txt", model="export/", workers=4, seed=0)               # doctest: +SKIP
>>> report = fmd.evaluate(ray.data.read_parquet(paths), model="m/", text_field="text")    # doctest: +SKIP
>>> report = fmd.pseudo_log_likelihood("corpus.txt", model="export/", workers=4)           # doctest: +SKIP
>>> report.ray["nodes"]  # the nodes that scored blocks, with their sample counts            # doctest: +SKIP

Ray is imported only when a run starts: ``import fillmask_np.distributed`` works without it, and a run
without it says how to install it.
"""

from __future__ import annotations

from .ray_compare import compare
from .ray_eval import evaluate
from .ray_pairs import score_pairs
from .ray_pppl import pseudo_log_likelihood
from .ray_variants import score_variants

__all__ = ["compare", "evaluate", "pseudo_log_likelihood", "score_pairs", "score_variants"]
