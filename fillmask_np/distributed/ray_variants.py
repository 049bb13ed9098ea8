"""``score_variants`` on a Ray cluster: blocks of mutations of one wild type, each scored by the one-process
``tasks.score_variants`` on an actor; the blocks merged as ``merge`` merges variant shards (``tasks.variant_shards``).

Every score, the Spearman correlation and every other field equal the one-process run's bit for bit, except
``n_forward_rows``: it counts the rows the actors ran, and two blocks touching the same position (masked-marginals)
or the same window (wt-marginals) each run that row, as two shards do (a row's logits do not depend on the rows
batched with it, so the scores do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from ..errors import DataError, FillMaskError
from ..limits import check_count
from ..report.variants_report import VariantReport
from ..tasks import LOGITS_BUDGET
from ..text import Progress, check_shard, shard_label
from .actors import Job, load_tokenizer
from .runs import run_sizes, worker_paths
from .session import check_cpus, ray_session, require_ray
from .streaming import run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend

__all__ = ["score_variants", "VariantsJob"]

BLOCK_MUTATIONS = 256  # default mutations per block


@dataclass(frozen=True)
class VariantsJob(Job):
    """A block of ``(mutation index, mutation)`` of ``options["wild_type"]`` scored by ``tasks.score_variants``."""

    split_end = False  # the mutations of a block share the wild type's rows (a position's, the wild type's PLL)

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """The block's variant partial: ``totals`` (index, score, mutation, forward_rows), ``extra`` and
        ``settings``, as ``save_variant_partial`` writes them."""
        from ..tasks import score_variants as one_process

        model, tokenizer = opened
        report = one_process(model, tokenizer, mutations=[m for _, m in block], progress=False, **self.options)
        totals = {"index": [k for k, _ in block], "score": list(report.scores), "mutation": list(report.mutations),
                  "forward_rows": [report.n_forward_rows]}
        extra = {"wild_type": report.wild_type, "sequence_length": report.sequence_length,
                 "n_windows": report.n_windows}
        return {"totals": totals, "extra": extra, "settings": report.settings}


def score_variants(
    wild_type: str, mutations: Sequence[str], *, model: str | Path, tokenizer: str | Path | None = None,
    workers: int = 2, cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
    strategy: Literal["wt-marginals", "masked-marginals", "pseudo-ppl"] = "wt-marginals", offset: int = 1,
    targets: Sequence[float] | np.ndarray | None = None, max_length: int | None = None,
    long: Literal["window", "truncate"] = "window", stride: int | None = None, token_budget: int = 8192,
    logits_budget: int = LOGITS_BUDGET, shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None, progress: bool | None = None, block_mutations: int = BLOCK_MUTATIONS,
    max_in_flight: int | None = None,
) -> VariantReport:
    """Score the mutations of one protein on a Ray cluster: ``fillmask_np.score_variants``'s report.

    Args:
        wild_type, mutations, strategy, offset, targets: as ``fillmask_np.score_variants``.
        max_length, long, stride, token_budget, logits_budget, shard, partial: as ``fillmask_np.score_variants``.
        model, tokenizer, workers, cpus_per_worker, address, backend: as ``pseudo_log_likelihood`` here.
        progress: a progress bar of the mutations merged (default: when stderr is a terminal).
        block_mutations: mutations per block; max_in_flight: the most blocks out at once (default and most:
            workers, one block per actor).
    Returns:
        a ``VariantReport``: every field the one-process run's, bit for bit, but ``n_forward_rows`` (the rows the
        actors ran: a position or window shared by two blocks runs in each); ``report.ray`` records the nodes
        that scored blocks (``samples``: mutations), the in-flight bound and its peak.

    >>> score_variants(wt, ["K2A", "K2A:Q9E"], model="esm/", strategy="masked-marginals").scores  # doctest: +SKIP
    """
    from ..tasks.mutations import parse_mutations
    from ..tasks.variant_shards import merge_variants
    from ..tasks.variants import STRATEGIES

    require_ray()
    if strategy not in STRATEGIES:
        raise DataError(f"strategy={strategy!r} is not one of {list(STRATEGIES)} (ESM predict.py's "
                        f"--scoring-strategy)")
    if not isinstance(wild_type, str) or not wild_type.strip():
        raise DataError(f"wild_type={wild_type!r} is not a protein sequence; pass the residues as one string")
    texts = list(mutations)
    parsed = parse_mutations(texts, "".join(wild_type.split()), offset=offset)  # bad ones refused before any work
    if not parsed:
        raise DataError("no mutation to score; pass mutations like ['A24P', 'A24P:D30N']")
    values = None if targets is None else np.asarray(targets, dtype=np.float64)
    if values is not None and values.shape != (len(texts),):
        raise DataError(f"targets has shape {values.shape}, not one value per mutation ({len(texts)})")
    shard = check_shard(shard)
    i, n = shard or (0, 1)
    chosen = [(k, m) for k, m in enumerate(texts) if k % n == i]
    if not chosen:
        raise DataError(f"shard {shard_label(shard)} holds no mutation of {len(texts)}; use fewer shards")
    workers, cpus, size, window = run_sizes(workers, cpus_per_worker, block_mutations, max_in_flight,
                                            block_name="block_mutations")
    model_path, tok_path = worker_paths(model, tokenizer, backend)
    if partial is not None:  # refused before any work
        from ..runtime import open_model
        from ..tasks.partials import check_partial

        opened = (open_model(model_path, backend=backend), load_tokenizer(model_path, tok_path))
        partial = check_partial(partial, *opened, None)
    options = dict(wild_type=wild_type, strategy=strategy, offset=int(offset), max_length=max_length, long=long,
                   stride=stride, token_budget=check_count("token_budget", token_budget, hint="rows x length"),
                   logits_budget=check_count("logits_budget", logits_budget, hint="logits held at once"))
    job = VariantsJob(str(model_path), None if tok_path is None else str(tok_path), backend, cpus, options)
    docs: list[dict[str, Any]] = []
    bar = Progress(enabled=progress, label="variants", unit="mutation")

    def merge(result: dict[str, Any]) -> None:
        part = result["partial"]
        index = part["totals"]["index"]
        target = [] if values is None else [float(values[k]) for k in index]
        docs.append({"totals": {**part["totals"], "target": target},
                     "extra": {**part["extra"], "has_targets": values is not None}, "settings": part["settings"]})
        bar.update(result["samples"])

    with ray_session(address, num_cpus=workers * cpus) as ray:
        check_cpus(ray, cpus)
        record = run_blocks(ray, chosen, job, merge, block=size, workers=workers, cpus=cpus, window=window)
    bar.close()
    if record["samples"] != len(chosen) or sum(len(d["totals"]["index"]) for d in docs) != len(chosen):
        raise FillMaskError(f"the Ray workers scored {record['samples']} mutations of {len(chosen)}: a block was "
                            f"lost or scored twice; run again")
    report = merge_variants(docs, {**docs[0]["settings"], "shard": shard_label(shard)})
    report.ray = record
    if partial is not None:
        from ..tasks.variant_shards import save_variant_partial

        report.saved_partial = save_variant_partial(partial, report, *opened, texts, values)
    return report
