"""Distributed: every corpus verb on a Ray cluster (the ``[ray]`` extra), the one-process verb's report bit for bit:
``evaluate``, ``pseudo_log_likelihood``, ``compare``, ``score_pairs`` and ``score_variants``, all on one streaming
driver (``streaming.run_blocks``: blocks sent to a pool of actors as the data is read, at most ``max_in_flight`` out).

>>> import fillmask_np.distributed as fmd
>>> report = fmd.evaluate("corpus.txt", model="export/", workers=4, seed=0)               # doctest: +SKIP
>>> report = fmd.evaluate(ray.data.read_parquet(paths), model="m/", text_field="text")    # doctest: +SKIP
>>> report = fmd.pseudo_log_likelihood("corpus.txt", model="export/", workers=4)           # doctest: +SKIP
>>> report.ray["nodes"]  # the nodes that scored blocks, with their sample counts            # doctest: +SKIP
>>> fmd.compare("corpus.txt", model="int8/", reference="fp32/", address="auto").verdict     # doctest: +SKIP

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
