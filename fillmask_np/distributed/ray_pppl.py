"""``pseudo_log_likelihood`` on a Ray cluster: ``fillmask_np.pseudo_log_likelihood``'s report, bit for bit.

The driver reads and numbers the samples lazily (``text.non_empty``: limit and shard applied as the one-process verb
applies them) and sends blocks of them to the actors as it reads (``streaming.run_blocks``). Each actor scores a
block with the one-process verb itself, ``tasks.pseudo_log_likelihood`` on the block's texts, and renumbers the
block's rows and token records to the corpus's sample indices and source positions: a sample's PLL depends on the
sample alone (its copies are scored with the same bits whatever batch they share; see ``tasks.merging``), so the
``PLLTotals.merge`` of the blocks is the one-process run's totals, and its report the same, figures, per-sample rows
and per-token records included.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..config import check_policy
from ..errors import FillMaskError
from ..limits import check_count
from ..masking import check_long, check_variant, windowing
from ..metrics import PLLTotals, warn_unknown
from ..report import PLLReport
from ..tasks import LOGITS_BUDGET
from ..text import Progress, check_shard, non_empty, shard_label
from .actors import Job, load_tokenizer
from .reading import source_texts
from .runs import Parts, check_partial_data, run_sizes, sorted_records, worker_paths
from .session import check_cpus, quiet_data, ray_session, require_ray
from .streaming import run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend

__all__ = ["pseudo_log_likelihood", "PLLJob", "check_pll_options"]

BLOCK_SAMPLES = 16  # default samples per block: every token of each is a forward row, so blocks stay balanced


@dataclass(frozen=True)
class PLLJob(Job):
    """A block of numbered samples ``(index, position, text)`` scored by ``tasks.pseudo_log_likelihood``."""

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """``{"totals": PLLTotals.state(), "tokens": per-token records or None, "settings"}`` of the block, in the
        corpus's numbering."""
        from ..tasks import pseudo_log_likelihood as one_process

        model, tokenizer = opened
        index = np.array([b[0] for b in block], dtype=np.int64)  # [n] the block's i-th sample's corpus index
        position = np.array([b[1] for b in block], dtype=np.int64)  # [n] its source position
        report = one_process(model, tokenizer, [b[2] for b in block], progress=False, **self.options)
        assert report.totals is not None
        if report.n_samples != len(block):
            raise FillMaskError(f"a block of {len(block)} non-empty samples was read as {report.n_samples}")
        state = report.totals.state()
        rows = state["samples"]
        rows["position"] = position[rows["index"]].tolist()  # local index = local position: every text is non-empty
        rows["index"] = index[rows["index"]].tolist()
        tokens = report.tokens
        if tokens is not None:
            tokens = {**tokens, "sample": index[tokens["sample"]].astype(tokens["sample"].dtype)}
        return {"totals": state, "tokens": tokens, "settings": report.settings}


def pseudo_log_likelihood(
    data: Any, *, model: str | Path, tokenizer: str | Path | None = None, text_field: str | None = None,
    workers: int = 2, cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
    variant: Literal["original", "within_word_l2r"] = "original",
    special_tokens: Literal["template", "all_special_ids"] = "template", max_length: int | None = None,
    token_budget: int = 8192, logits_budget: int = LOGITS_BUDGET, limit: int | None = None,
    return_tokens: bool = False, progress: bool | None = None, shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None, long: Literal["truncate", "window"] = "truncate", stride: int | None = None,
    block_samples: int = BLOCK_SAMPLES, max_in_flight: int | None = None,
) -> PLLReport:
    """Pseudo-log-likelihood of a corpus on a Ray cluster: ``fillmask_np.pseudo_log_likelihood``'s report, bit for
    bit (``to_dict()``), from ``workers`` actors.

    Args:
        data: a ``ray.data.Dataset`` (rows in order; column ``text_field``), or a path, glob or list of paths of
            text / JSONL / CSV / TSV / Parquet files (read as ``iter_texts`` reads them).
        model: the model's path (or a Hub id), as the workers see it; tokenizer: default the one beside it.
        text_field: the column or JSONL field of the texts (default ``"text"``).
        workers: actors scoring at once (each opens the model once); cpus_per_worker: CPUs (ONNX Runtime threads)
            of each.
        address: None / ``"local"``: the Ray of this process, else a local one started for this call; ``"auto"``,
            ``"host:port"`` or ``"ray://host:port"``: that cluster (never stopped here).
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
        variant, special_tokens, max_length, token_budget, logits_budget, limit, return_tokens, shard, long, stride:
            as ``fillmask_np.pseudo_log_likelihood``.
        progress: a progress bar of the samples merged (default: when stderr is a terminal).
        partial: write the run's partial file here (``data`` must be one file), for ``merge`` with other shards.
        block_samples: samples per block; max_in_flight: the most blocks out at once (default and most: workers,
            one block per actor).
    Returns:
        a ``PLLReport`` equal to the one-process run's; ``report.ray`` records the nodes that scored blocks (with
        their sample counts), the in-flight bound and its peak.

    >>> report = pseudo_log_likelihood("corpus.txt", model="export/", workers=4)  # doctest: +SKIP
    """
    require_ray()
    shard = check_shard(shard)
    limit = check_count("limit", limit, allow_none=True, hint="or None for the whole corpus")
    check_partial_data(data, partial)
    workers, cpus, size, window = run_sizes(workers, cpus_per_worker, block_samples, max_in_flight)
    model_path, tok_path = worker_paths(model, tokenizer, backend)
    opened, tok, max_length, partial = check_pll_options(model_path, tok_path, backend, variant=variant,
                                                         special_tokens=special_tokens, max_length=max_length,
                                                         long=long, stride=stride, partial=partial, data=data)
    options = dict(variant=variant, special_tokens=special_tokens, max_length=max_length,
                   token_budget=check_count("token_budget", token_budget, hint="tokens scored per model call"),
                   logits_budget=check_count("logits_budget", logits_budget, hint="logits held at once"),
                   return_tokens=bool(return_tokens), long=long, stride=stride)
    job = PLLJob(str(model_path), None if tok_path is None else str(tok_path), backend, cpus, options)
    counts = {"n_samples": 0, "n_empty": 0}
    totals: Parts[PLLTotals] = Parts(PLLTotals.merge)
    tokens: list[dict[str, np.ndarray]] = []
    settings: dict[str, Any] = {}
    bar = Progress(enabled=progress, label="pppl")

    def merge(result: dict[str, Any]) -> None:
        partial_ = result["partial"]
        totals.add(PLLTotals.from_state(partial_["totals"]))
        if partial_["tokens"] is not None:
            tokens.append(partial_["tokens"])
        settings.update(partial_["settings"], limit=limit, shard=shard_label(shard))
        bar.update(result["samples"])

    with ray_session(address, num_cpus=workers * cpus) as ray, quiet_data(ray, progress=False):
        check_cpus(ray, cpus)
        with contextlib.closing(source_texts(ray, data, text_field=text_field)) as rows:
            record = run_blocks(ray, non_empty(rows, counts, limit, shard), job, merge, block=size,
                                workers=workers, cpus=cpus, window=window)
    bar.close()
    merged = totals.merged() or PLLTotals(return_tokens=False)
    if merged.counts["n_samples"] != counts["n_samples"]:
        raise FillMaskError(f"the Ray workers scored {merged.counts['n_samples']} samples of {counts['n_samples']}: "
                            f"a block was lost or scored twice; run again")
    merged.counts["n_empty"] = counts["n_empty"]
    report = PLLReport.from_totals(merged, variant, settings)
    warn_unknown(merged.counts)
    report.tokens = sorted_records(tokens) if return_tokens else None
    report.ray = record
    if partial is not None:
        from ..tasks.partials import save_partial

        report.saved_partial = save_partial(partial, report, opened, tok, data)
    return report


def check_pll_options(model: Path, tokenizer: Path | None, backend: Backend, *, variant: str, special_tokens: str,
                      max_length: int | None, long: str, stride: int | None, partial: Any = None,
                      data: Any = None) -> tuple[Any, Any, int, Any]:
    """The PLL options checked on the driver before any work, as the one-process verbs check them: the model and
    tokenizer opened and checked as a pair, ``max_length`` resolved, the windows of ``long="window"`` checked, the
    partial file's path checked against the inputs.

    Args:
        model, tokenizer, backend: as the workers open them.
        variant, special_tokens, max_length, long, stride: as ``fillmask_np.pseudo_log_likelihood``.
        partial: the partial file's path, or None; data: the input it must not be.
    Returns:
        ``(model, tokenizer, max_length, partial)``: the driver's opened model and tokenizer, the resolved length
        and the checked partial path (None without one).
    """
    from ..runtime import check_max_length, check_pair, open_model

    check_variant(variant)
    check_policy(special_tokens)
    check_long(long, stride)
    opened = open_model(model, backend=backend)
    tok = load_tokenizer(model, tokenizer)
    check_pair(opened, tok)
    max_length = check_count("max_length", max_length, allow_none=True, hint="or None for the model's limit")
    max_length = check_max_length(opened, tok, max_length)
    if long == "window":
        windowing(tok, max_length, stride)
    if partial is not None:
        from ..tasks.partials import check_partial

        partial = check_partial(partial, opened, tok, data)
    return opened, tok, max_length, partial
