"""The streaming driver every distributed verb runs on: blocks go to a pool of actors while the driver still reads,
each actor scores one block at a time, and each result is merged as it arrives, in whatever order.

* Work: ``items`` is a lazy iterator of what the verb's job scores (numbered samples, pairs, mutations), cut into
  blocks by ``runs.chunks`` with the end balanced over the workers: the last blocks shrink to one item, so the
  nodes finish together (not for a job whose ``split_end`` is False, as variants', whose blocks share work).
* Bound: a block goes to an idle actor only, so at most ``min(window, workers)`` blocks are out (sent, or returned
  and about to be merged: a result is merged before the next block is read); with the chunker's read-ahead of
  ``workers + 1`` blocks' items, that is all the driver holds beyond the report, whatever the corpus size.
* Actors: ``workers`` ``BlockWorker`` actors, each opening the verb's model(s) once. They run with
  ``max_restarts=-1`` and ``max_task_retries=RETRIES`` (Ray's actor fault tolerance: an actor whose process dies
  is restarted, its constructor re-run, and its block re-run on it), so a killed actor changes nothing: a block's
  result depends on the block alone. As an actor has one block at a time, a death is its block's: a block whose
  process dies ``RETRIES + 1`` times (one that runs its worker out of memory, say) stops the run in one line naming
  its items, rather than being retried for ever. An actor whose constructor raises (the model cannot be loaded
  there) is not restarted by Ray: the run stops with its error in one line.
* Provenance: each result names the node that scored it (``ray.get_runtime_context().get_node_id()``); the run's
  record lists the nodes with their block and sample counts, the bound and the peak number of blocks out.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Callable, Iterable

from .actors import FAULT_ENV, POISON_ENV, BlockWorker, Job
from .failures import worker_failure
from .runs import chunks

__all__ = ["run_blocks", "RESTARTS", "RETRIES"]

RESTARTS = -1  # max_restarts of the actors: without limit (Ray's -1)
RETRIES = 3  # max_task_retries: how often a block is re-run after the process scoring it died


def run_blocks(ray: Any, items: Iterable[Any], job: Job, merge: Callable[[dict[str, Any]], None], *,
               block: int, workers: int, cpus: int, window: int) -> dict[str, Any]:
    """Score ``items`` in blocks on a pool of actors, merging each block's result as it arrives.

    Args:
        ray: the connected ``ray`` module.
        items: a lazy iterator of what the job scores (read only as blocks are sent).
        job: what the actors open and how they score a block (``actors.Job``).
        merge: called once per block with the actor's result (``BlockWorker.score``), in arrival order.
        block: items per block (the last blocks smaller, ``runs.chunks`` with ``tail=workers``, unless the job's
            ``split_end`` is False).
        workers: actors in the pool.
        cpus: CPUs of each actor.
        window: the most blocks out at once (sent and not yet merged), at most one per actor.
    Returns:
        the run's record: ``nodes`` (``[{"node_id", "blocks", "samples"}]``, by node id), ``workers``,
        ``cpus_per_worker``, ``blocks``, ``samples``, ``window`` (the bound: ``min(window, workers)``) and
        ``peak_in_flight``.
    """
    window = min(window, workers)  # one block per actor at a time
    remote = ray.remote(BlockWorker).options(num_cpus=cpus, max_restarts=RESTARTS, max_task_retries=RETRIES)
    actors = [remote.remote(job, os.environ.get(FAULT_ENV), os.environ.get(POISON_ENV)) for _ in range(workers)]
    out: dict[Any, tuple[int, int, int]] = {}  # object ref -> (the actor scoring it, the block's first and last item)
    sent = 0  # items sent so far
    idle = list(range(workers))  # actors with no block: each scores one block at a time
    samples: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    peak = 0
    source = chunks(items, block, tail=workers if job.split_end else 0)
    try:
        while True:
            while idle and len(out) < window:
                part = next(source, None)
                if part is None:
                    break
                chosen = idle.pop(0)
                ref = actors[chosen].score.remote(part)
                out[ref] = (chosen, sent + 1, sent + len(part))  # items counted from 1
                sent += len(part)
                peak = max(peak, len(out))
            if not out:
                break
            ready, _ = ray.wait(list(out), num_returns=1)
            for ref in ready:
                actor, first, last = out.pop(ref)
                idle.append(actor)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # Ray's errors wrap the worker's: say it in one line
                    raise worker_failure(exc, model=job.model, block=f"items {first}-{last} of the run",
                                         tries=RETRIES + 1) from None
                samples[result["node_id"]] += result["samples"]
                counted[result["node_id"]] += 1
                merge(result)
    finally:
        for actor in actors:
            ray.kill(actor)
    nodes = [{"node_id": node, "blocks": counted[node], "samples": samples[node]} for node in sorted(samples)]
    return {"nodes": nodes, "workers": workers, "cpus_per_worker": cpus, "blocks": sum(counted.values()),
            "samples": sum(samples.values()), "window": window, "peak_in_flight": peak}
