"""Distributed: score a corpus on a Ray cluster with Ray Data (the ``[ray]`` extra), the same report as
``fillmask_np.evaluate`` bit for bit.

>>> import fillmask_np.distributed as fmd
>>> report = fmd.evaluate("corpus.txt", model="export/", workers=4, seed=0)               # doctest: +SKIP
>>> report = fmd.evaluate(ray.data.read_parquet(paths), model="m/", text_field="text")    # doctest: +SKIP

Ray is imported only when a run starts: ``import fillmask_np.distributed`` works without it, and a run
without it says how to install it.
"""

from __future__ import annotations

from .actors import FAULT_ENV, ScoreActor, load_tokenizer
from .decoding import file_kind, file_texts
from .failures import worker_error_line, worker_failure
from .ray_eval import UNSUPPORTED, driver_config, evaluate
from .reading import data_paths, dataset_texts, http_probe_guard, source_texts
from .session import check_cpus, quiet_data, ray_session, require_ray

__all__ = ["FAULT_ENV", "ScoreActor", "UNSUPPORTED", "check_cpus", "data_paths", "dataset_texts", "driver_config",
           "evaluate", "file_kind", "file_texts", "http_probe_guard", "load_tokenizer", "quiet_data", "ray_session",
           "require_ray", "source_texts", "worker_error_line", "worker_failure"]
