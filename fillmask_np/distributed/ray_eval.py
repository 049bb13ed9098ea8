"""``evaluate`` on a Ray cluster: the same report as ``fillmask_np.evaluate``, bit for bit, from workers that each
score blocks of the corpus.

1. The driver checks the model and tokenizer and resolves the settings (``tasks.eval_config``), as ``evaluate``.
2. It reads the data in source order and numbers the samples itself (``text.non_empty``: the i-th non-empty
   sample is sample i, empty ones counted, ``limit`` and ``shard`` applied), lazily, and sends blocks of numbered
   samples to the actors as it reads (``streaming.run_blocks``: at most ``max_in_flight`` blocks out at once).
   Numbering on the driver is exact for any data source and reader, and costs one pass over the text.
3. Each actor scores a block with ``tasks.score_samples``, the block function of ``evaluate`` (per-sample masking:
   sample i's masks are drawn from its corpus index, whatever its block), keeping the block's per-token records and
   worst tokens when asked; it returns ``Totals.state()`` and those.
4. ``Totals.merge`` of the blocks (exact in any order), plus the empty samples counted on the driver, gives the
   report through ``tasks.eval_report``; the token records are sorted by (sample, position) and the worst tokens
   by (-loss, sample, position), as ``merge`` combines shards.

Faults: see ``streaming``: an actor whose process dies is restarted and its blocks re-run; the driver checks that
every numbered sample came back exactly once. An actor whose constructor fails (the model cannot be loaded there)
stops the run with the worker's error as one ``FillMaskError`` line.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..config import MaskingConfig
from ..errors import FillMaskError, InputFileError
from ..limits import check_count
from ..masking import check_long, windowing
from ..metrics import TokenCollector, Totals
from ..tasks import LOGITS_BUDGET, eval_config, eval_report
from ..text import Progress, check_shard, non_empty
from .actors import Job, load_tokenizer
from .reading import source_texts
from .runs import Parts, check_partial_data, run_sizes, sorted_records, worker_paths
from .session import check_cpus, quiet_data, ray_session, require_ray
from .streaming import run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import Windowing
    from ..report import EvalReport
    from ..runtime import Backend

__all__ = ["evaluate", "driver_config", "EvalJob", "UNSUPPORTED"]

UNSUPPORTED = {"masks": "a masks file replays one run's batches", "save_masks": "masks are drawn on the workers"}


def driver_config(model: Path, tokenizer: Path | None, backend: Backend, config: MaskingConfig | None,
                  masking: dict[str, Any]) -> MaskingConfig:
    """The settings ``evaluate`` would use, checked on the driver: the model and tokenizer load, the options are
    valid, ``max_length`` is resolved.

    Args:
        model: the model's path.
        tokenizer: the tokenizer's path, or None.
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
        config: a ``MaskingConfig``, or None.
        masking: masking keywords.
    Returns:
        the resolved ``MaskingConfig``.
    """
    from ..runtime import open_model

    if not model.exists():
        raise InputFileError(f"model {str(model)!r} does not exist; pass an .onnx file, an export directory or a "
                             f"checkpoint directory")
    opened = open_model(model, backend=backend)
    return eval_config(opened, load_tokenizer(model, tokenizer), config, **masking)


@dataclass(frozen=True)
class EvalJob(Job):
    """A block of numbered samples ``(index, position, text)`` scored by ``tasks.score_samples``."""

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """``{"totals": Totals.state(), "tokens": records or None, "worst": worst tokens}`` of the block."""
        from ..tasks import score_samples

        model, tokenizer = opened
        options = self.options
        config = MaskingConfig(**options["config"])
        collector = TokenCollector(keep_all=options["return_tokens"], worst=options["worst"],
                                   top5=options["return_top5"])
        plan = _windows(tokenizer, config, options["long"], options["stride"])
        totals = score_samples(model, tokenizer, block, config, logits_budget=options["logits_budget"],
                               collector=collector, plan=plan)
        return {"totals": totals.state(), "tokens": collector.columns() if options["return_tokens"] else None,
                "worst": collector.worst_records(tokenizer) if options["worst"] else []}


def evaluate(data: Any, *, model: str | Path, tokenizer: str | Path | None = None, text_field: str | None = None,
             workers: int = 2, cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
             config: MaskingConfig | None = None, logits_budget: int = LOGITS_BUDGET, progress: bool | None = None,
             block_samples: int | None = None, return_tokens: bool = False, return_top5: bool = False,
             worst: int = 0, shard: tuple[int, int] | str | None = None, partial: str | Path | None = None,
             long: Literal["truncate", "window"] = "truncate", stride: int | None = None,
             max_in_flight: int | None = None, **masking: Any) -> EvalReport:
    """Score a corpus on a Ray cluster: ``fillmask_np.evaluate``'s report, bit for bit, from ``workers`` actors.

    Args:
        data: a ``ray.data.Dataset`` (rows in order; column ``text_field``), or a path, glob or list of paths of
            text / JSONL / CSV / TSV files (read as ``evaluate`` reads them) or Parquet files.
        model: the model's path (``.onnx`` file, export or checkpoint directory), as the workers see it, or a Hub
            id ``ORG/NAME[@REVISION]`` (fetched into the driver's Hugging Face cache, which the workers must see).
        tokenizer: the tokenizer's path; default: the one beside the model.
        text_field: the column or JSONL field of the texts (default ``"text"``).
        workers: actors scoring at once (each loads the model once).
        cpus_per_worker: CPUs of each actor, and its ONNX Runtime intra-op threads.
        address: None / ``"local"``: the Ray already initialised in this process, else a local one started for
            this call; ``"auto"``, ``"host:port"`` or ``"ray://host:port"``: that cluster (never stopped here).
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"`` (``runtime.open_model``).
        config, **masking: the masking settings, as ``fillmask_np.evaluate`` (per-sample masking only).
        logits_budget, return_tokens, return_top5, worst, shard, long, stride: as ``fillmask_np.evaluate``.
        progress: a progress bar of the samples merged (default: when stderr is a terminal).
        block_samples: samples per block a worker scores at once (default: 16 batches, ``evaluate``'s window).
        partial: write the run's partial file here (``data`` must be one file), for ``merge`` with other shards.
        max_in_flight: the most blocks out at once (default and most: workers, one block per actor): the
            driver's memory bound.
    Returns:
        an ``EvalReport`` equal to ``fillmask_np.evaluate``'s on the same samples (``to_dict()`` included);
        ``report.ray`` records the nodes that scored blocks (with their sample counts), the bound and its peak.

    >>> report = evaluate("corpus.txt", model="export/", workers=4, seed=0)  # doctest: +SKIP
    """
    require_ray()  # first: without Ray, say so before loading anything
    for name, why in UNSUPPORTED.items():
        if masking.get(name) not in (None, False, 0):
            raise FillMaskError(f"{name}={masking[name]!r} is not supported by the Ray backend ({why}); use "
                                f"fillmask_np.evaluate")
    masking = {k: v for k, v in masking.items() if k not in UNSUPPORTED}
    if (config.masking if isinstance(config, MaskingConfig) else masking.get("masking")) == "hf":
        raise FillMaskError("masking='hf' is not supported by the Ray backend: HF's collator masks batch by batch, "
                            "so the masks depend on the batches; use masking='per_sample' or fillmask_np.evaluate")
    worst = check_count("worst", worst, hint="the number of worst tokens to list; 0: none")
    if return_top5 and not return_tokens:
        raise FillMaskError("return_top5=True adds columns to the per-token records; pass return_tokens=True too")
    shard = check_shard(shard)
    stride = check_long(long, stride)
    check_partial_data(data, partial)
    model_path, tok = worker_paths(model, tokenizer, backend)
    settings = driver_config(model_path, tok, backend, config, masking)
    plan = _windows(load_tokenizer(model_path, tok), settings, long, stride)
    workers, cpus, size, window = run_sizes(workers, cpus_per_worker, block_samples or 16 * settings.batch_size,
                                            max_in_flight)
    if partial is not None:
        from ..runtime import open_model
        from ..tasks.partials import check_partial

        opened = (open_model(model_path, backend=backend), load_tokenizer(model_path, tok))
        partial = check_partial(partial, *opened, data)
    options = dict(config=settings.as_dict(), logits_budget=int(logits_budget), return_tokens=bool(return_tokens),
                   return_top5=bool(return_top5), worst=worst, long=long, stride=stride)
    job = EvalJob(str(model_path), None if tok is None else str(tok), backend, cpus, options)
    counts = {"n_samples": 0, "n_empty": 0}
    totals: Parts[Totals] = Parts(Totals.merge)
    tokens: list[dict[str, np.ndarray]] = []
    worst_tokens: list[dict[str, Any]] = []
    bar = Progress(enabled=progress, label="eval")

    def merge(result: dict[str, Any]) -> None:
        part = result["partial"]
        totals.add(Totals.from_state(part["totals"]))
        if part["tokens"] is not None:
            tokens.append(part["tokens"])
        if worst:  # the ``worst`` highest so far: what any later block can still be compared with
            worst_tokens[:] = _worst_first(worst_tokens + part["worst"])[:worst]
        bar.update(result["samples"])

    with ray_session(address, num_cpus=workers * cpus) as ray, quiet_data(ray, progress=False):
        check_cpus(ray, cpus)
        with contextlib.closing(source_texts(ray, data, text_field=text_field)) as rows:
            record = run_blocks(ray, non_empty(rows, counts, settings.limit, shard), job, merge, block=size,
                                workers=workers, cpus=cpus, window=window)
    bar.close()
    merged = totals.merged() or Totals()
    if merged.counts["n_samples"] != counts["n_samples"]:
        raise FillMaskError(f"the Ray workers scored {merged.counts['n_samples']} samples of "
                            f"{counts['n_samples']}: a block was lost or scored twice; run again")
    merged.counts["n_empty"] = counts["n_empty"]
    report = eval_report(merged, settings, shard=shard, plan=plan)
    if return_tokens:
        found = sorted_records(tokens)
        report.tokens = found if found is not None else TokenCollector(keep_all=True, worst=0,
                                                                       top5=bool(return_top5)).columns()
    report.worst_tokens = worst_tokens if worst else report.worst_tokens
    report.ray = record
    if partial is not None:
        from ..tasks.partials import save_partial

        report.saved_partial = save_partial(partial, report, *opened, data, worst=worst)
    return report


def _windows(tokenizer: Any, config: MaskingConfig, long: str, stride: int | None) -> Windowing | None:
    """The windows of ``long="window"`` for ``config``'s resolved ``max_length``; None for ``long="truncate"``."""
    if long != "window":
        return None
    assert config.max_length is not None  # resolved by eval_config
    return windowing(tokenizer, config.max_length, stride)


def _worst_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst-token records highest loss first, ties by sample then position (``TokenCollector``'s order)."""
    return sorted(entries, key=lambda w: (-w["loss"], w["sample"], w["position"]))

