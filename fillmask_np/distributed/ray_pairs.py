"""``score_pairs`` on a Ray cluster: ``fillmask_np.score_pairs``'s report, bit for bit.

The driver reads the pairs in order (``text.iter_pairs``: fields detected and checked as the one-process verb does
it; ``limit`` and ``shard`` applied), numbers them and sends blocks of ``(pair index, PairRow)`` to the actors as it
reads (``streaming.run_blocks``). Each actor scores a block with the one-process verb, ``tasks.score_pairs`` on the
block's ``(good, bad)`` texts, and renumbers its rows (pair index, source position, group): a pair's two PLLs depend
on its two sentences alone, so the ``PairTotals.merge`` of the blocks gives the one-process report.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator, Iterator, Literal

from ..errors import DataError, FillMaskError
from ..limits import check_count
from ..metrics import PairTotals
from ..report import PairsReport
from ..tasks import LOGITS_BUDGET
from ..text import PairRow, Progress, check_shard, iter_pairs, shard_label
from .actors import Job
from .ray_pppl import check_pll_options
from .runs import Parts, check_partial_data, run_sizes, worker_paths
from .session import check_cpus, ray_session, require_ray
from .streaming import run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend

__all__ = ["score_pairs", "PairsJob"]

BLOCK_PAIRS = 8  # default pairs per block (16 sentences, every token of each a forward row)


@dataclass(frozen=True)
class PairsJob(Job):
    """A block of ``(pair index, PairRow)`` scored by ``tasks.score_pairs``."""

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """``{"totals": PairTotals.state(), "settings"}`` of the block, in the whole run's numbering."""
        from ..tasks import score_pairs as one_process

        model, tokenizer = opened
        report = one_process(model, tokenizer, [(row.good, row.bad) for _, row in block], progress=False,
                             **self.options)
        assert report.totals is not None
        state = report.totals.state()
        rows = state["rows"]
        local = rows["index"]
        rows["index"] = [block[j][0] for j in local]
        rows["position"] = [block[j][1].position for j in local]
        rows["group"] = [block[j][1].group for j in local]
        return {"totals": state, "settings": report.settings}


def score_pairs(
    pairs: Any, *, model: str | Path, tokenizer: str | Path | None = None, workers: int = 2,
    cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
    variant: Literal["original", "within_word_l2r"] = "original", good_field: str | None = None,
    bad_field: str | None = None, group_field: str | None = None,
    special_tokens: Literal["template", "all_special_ids"] = "template", max_length: int | None = None,
    token_budget: int = 8192, logits_budget: int = LOGITS_BUDGET, limit: int | None = None,
    progress: bool | None = None, shard: tuple[int, int] | str | None = None, partial: str | Path | None = None,
    long: Literal["truncate", "window"] = "truncate", stride: int | None = None, block_pairs: int = BLOCK_PAIRS,
    max_in_flight: int | None = None,
) -> PairsReport:
    """Score minimal pairs on a Ray cluster: ``fillmask_np.score_pairs``'s report, bit for bit (``to_dict()``).

    Args:
        pairs: the path of a ``.jsonl``, ``.csv``, ``.tsv`` or ``.parquet`` file, or a list of ``(good, bad)``
            pairs or records (see ``text.iter_pairs``), read on the driver.
        model, tokenizer, workers, cpus_per_worker, address, backend: as ``pseudo_log_likelihood`` here.
        variant, good_field, bad_field, group_field, special_tokens: as ``fillmask_np.score_pairs``.
        max_length, token_budget, logits_budget, limit, shard, long, stride: as ``fillmask_np.score_pairs``.
        progress: a progress bar of the pairs merged (default: when stderr is a terminal).
        partial: write the run's partial file here (``pairs`` must be one file), for ``merge``.
        block_pairs: pairs per block; max_in_flight: the most blocks out at once (default and most: workers, one
            block per actor).
    Returns:
        a ``PairsReport`` equal to the one-process run's; ``report.ray`` records the nodes that scored blocks
        (``samples``: pairs), the in-flight bound and its peak.

    >>> report = score_pairs("blimp.jsonl", model="export/", group_field="UID", workers=4)  # doctest: +SKIP
    """
    require_ray()
    shard = check_shard(shard)
    limit = check_count("limit", limit, allow_none=True, hint="or None for every pair")
    check_partial_data(pairs, partial)
    workers, cpus, size, window = run_sizes(workers, cpus_per_worker, block_pairs, max_in_flight,
                                            block_name="block_pairs")
    model_path, tok_path = worker_paths(model, tokenizer, backend)
    opened, tok, max_length, partial = check_pll_options(model_path, tok_path, backend, variant=variant,
                                                         special_tokens=special_tokens, max_length=max_length,
                                                         long=long, stride=stride, partial=partial, data=pairs)
    rows = iter_pairs(pairs, good_field=good_field, bad_field=bad_field, group_field=group_field)  # fields checked
    options = dict(variant=variant, special_tokens=special_tokens, max_length=max_length,
                   token_budget=check_count("token_budget", token_budget, hint="tokens scored per model call"),
                   logits_budget=check_count("logits_budget", logits_budget, hint="logits held at once"),
                   long=long, stride=stride)
    job = PairsJob(str(model_path), None if tok_path is None else str(tok_path), backend, cpus, options)
    totals: Parts[PairTotals] = Parts(PairTotals.merge)
    settings: dict[str, Any] = {}
    read = [0]
    bar = Progress(enabled=progress, label="pairs", unit="pair")

    def merge(result: dict[str, Any]) -> None:
        totals.add(PairTotals.from_state(result["partial"]["totals"]))
        settings.update(result["partial"]["settings"], good_field=good_field, bad_field=bad_field,
                        group_field=group_field, limit=limit, shard=shard_label(shard))
        bar.update(result["samples"])

    with ray_session(address, num_cpus=workers * cpus) as ray:
        check_cpus(ray, cpus)
        with contextlib.closing(_mine(rows, limit, shard, read)) as mine:
            record = run_blocks(ray, mine, job, merge, block=size, workers=workers, cpus=cpus, window=window)
    bar.close()
    i, n = shard or (0, 1)
    if read[0] and not record["samples"]:
        raise DataError(f"shard {i}/{n} holds no pair: the data has {read[0]} pairs; split it into at most "
                        f"{read[0]} shards")
    merged = totals.merged() or PairTotals()
    if merged.counts["n_pairs"] != record["samples"]:
        raise FillMaskError(f"the Ray workers scored {merged.counts['n_pairs']} pairs of {record['samples']}: a "
                            f"block was lost or scored twice; run again")
    if not settings:  # no pair at all: the one-process verb's settings, as it reports them
        settings.update(variant=variant, special_tokens=special_tokens, max_length=max_length,
                        token_budget=int(token_budget), good_field=good_field, bad_field=bad_field,
                        group_field=group_field, limit=limit, shard=shard_label(shard), long=long, stride=stride)
    report = PairsReport.from_totals(merged, variant, settings)
    report.ray = record
    if partial is not None:
        from ..tasks.partials import save_partial

        report.saved_partial = save_partial(partial, report, opened, tok, pairs)
    return report


def _mine(rows: Iterator[PairRow], limit: int | None, shard: tuple[int, int] | None,
          read: list[int]) -> Generator[tuple[int, PairRow], None, None]:
    """``(pair index, row)`` of the first ``limit`` pairs that are ``shard``'s; ``read[0]`` counts every pair read."""
    i, n = shard or (0, 1)
    for k, row in enumerate(islice(rows, limit)):
        read[0] = k + 1
        if k % n == i:
            yield k, row
