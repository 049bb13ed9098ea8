"""``evaluate`` on a Ray cluster: the same report as ``fillmask_np.evaluate``, bit for bit, from workers that each
score blocks of the corpus.

1. The driver checks the model and tokenizer and resolves the settings (``tasks.eval_config``), as ``evaluate``.
2. It streams the data in source order and numbers the samples itself (``text.non_empty``: the i-th non-empty
   sample is sample i, empty ones counted, ``limit`` applied), putting blocks of numbered samples into Ray's
   object store as it goes (its memory holds one block). Numbering on the driver is exact for any data source
   and reader, and costs one pass over the text, small next to running the model on it.
3. ``map_batches`` with ``ScoreActor`` under ``ActorPoolStrategy(size=workers)`` scores the blocks (one model
   session per actor, its ONNX Runtime threads = its CPUs); each block comes back as ``Totals.state()``.
4. ``Totals.merge`` of the blocks (exact in any order), plus the empty samples counted on the driver, gives the
   report through ``tasks.eval_report``.

Faults: an actor whose process dies (killed, out of memory) is restarted by Ray (Ray Data's defaults: restarts and
retries without limit), which reloads the model and re-runs the blocks it had in flight; the blocks already
returned are kept. A block's totals depend on its samples alone, so the report is unchanged, and the driver checks
that every numbered sample came back exactly once. An actor whose constructor fails (the model cannot be loaded
there) is not retried: the run stops with the worker's error as one ``FillMaskError`` line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..config import MaskingConfig
from ..errors import FillMaskError, InputFileError
from ..limits import check_count
from ..metrics import Totals
from ..tasks import LOGITS_BUDGET, eval_config, eval_report
from ..text import non_empty
from .actors import FAULT_ENV, ScoreActor, load_tokenizer
from .failures import worker_failure
from .reading import source_texts
from .session import check_cpus, quiet_data, ray_session, require_ray

if TYPE_CHECKING:  # pragma: no cover
    from ..report import EvalReport
    from ..runtime import Backend

__all__ = ["evaluate", "driver_config", "UNSUPPORTED"]

UNSUPPORTED = {"masks": "a masks file replays one run's batches", "save_masks": "masks are drawn on the workers",
               "return_tokens": "per-token records stay on the workers", "worst": "per-token records stay on the "
               "workers", "shard": "the workers already split the corpus"}


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


def _blocks(ray: Any, samples: Iterator[tuple[int, int, str]], size: int) -> list[Any]:
    """Object refs of pyarrow tables of ``size`` numbered samples (columns index, position, text)."""
    import pyarrow as pa

    refs: list[Any] = []  # object refs
    block: list[tuple[int, int, str]] = []

    def put() -> None:
        index, position, text = zip(*block)
        columns = {"index": pa.array(index, pa.int64()), "position": pa.array(position, pa.int64()),  # [n] each
                   "text": pa.array(text, pa.string())}
        refs.append(ray.put(pa.table(columns)))
        block.clear()

    for sample in samples:
        block.append(sample)
        if len(block) == size:
            put()
    if block:
        put()
    return refs


def evaluate(data: Any, *, model: str | Path, tokenizer: str | Path | None = None, text_field: str | None = None,
             workers: int = 2, cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
             config: MaskingConfig | None = None, logits_budget: int = LOGITS_BUDGET, progress: bool | None = None,
             block_samples: int | None = None, **masking: Any) -> EvalReport:
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
        logits_budget: as ``fillmask_np.evaluate``.
        progress: Ray Data's progress bars (default: when stderr is a terminal).
        block_samples: samples per block a worker scores at once (default: 16 batches, ``evaluate``'s window).
    Returns:
        an ``EvalReport`` equal to ``fillmask_np.evaluate``'s on the same samples (``to_dict()`` included).

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
    workers, cpus = check_count("workers", workers), check_count("cpus_per_worker", cpus_per_worker)
    if isinstance(model, (str, Path)):  # a Hub id is fetched once, here: the workers open the cached files
        from ..runtime import resolve_model

        source = resolve_model(model, backend=backend)
        model, tokenizer = source.path, source.tokenizer_dir if source.hub and tokenizer is None else tokenizer
    model = Path(model).resolve() if isinstance(model, (str, Path)) else model
    tok = Path(tokenizer).resolve() if isinstance(tokenizer, (str, Path)) else tokenizer
    if not isinstance(model, Path) or not (tok is None or isinstance(tok, Path)):
        raise InputFileError(f"model={model!r} and tokenizer={tokenizer!r} must be paths (the workers open them)")
    settings = driver_config(model, tok, backend, config, masking)
    size = check_count("block_samples", block_samples or 16 * settings.batch_size)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    actor = dict(model=str(model), tokenizer=None if tok is None else str(tok), backend=backend, threads=cpus,
                 config=settings.as_dict(), logits_budget=int(logits_budget), exit_once=os.environ.get(FAULT_ENV))
    counts = {"n_samples": 0, "n_empty": 0}
    with ray_session(address, num_cpus=workers * cpus) as ray, quiet_data(ray, progress=show):
        check_cpus(ray, cpus)
        with contextlib.closing(source_texts(ray, data, text_field=text_field)) as rows:
            refs = _blocks(ray, non_empty(rows, counts, settings.limit), size)
        states = _score(ray, refs, actor, workers=workers, cpus=cpus, size=size) if refs else []
    totals = Totals.merge([Totals.from_state(json.loads(s)) for s in states]) if states else Totals()
    if totals.counts["n_samples"] != counts["n_samples"]:
        raise FillMaskError(f"the Ray workers scored {totals.counts['n_samples']} samples of "
                            f"{counts['n_samples']}: a block was lost or scored twice; run again")
    totals.counts["n_empty"] = counts["n_empty"]
    return eval_report(totals, settings)


def _score(ray: Any, refs: list[Any], actor: dict[str, Any], *, workers: int, cpus: int, size: int) -> list[str]:
    """The ``Totals.state()`` JSON of every block, scored by a pool of ``ScoreActor``; a failure in one line."""
    ds = ray.data.from_arrow_refs(refs)
    scored = ds.map_batches(ScoreActor, fn_constructor_kwargs=actor, batch_size=size, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=min(workers, len(refs))), num_cpus=cpus)
    log = logging.getLogger("ray.data.exceptions")  # logs a failure's whole stack: the one line below replaces it
    before, log.disabled = log.disabled, True
    try:
        return [row["state"] for row in scored.take_all()]
    except Exception as exc:  # Ray's errors wrap the worker's: say it in one line
        raise worker_failure(exc, model=actor["model"]) from None
    finally:
        log.disabled = before
