"""``compare`` on a Ray cluster: ``fillmask_np.compare``'s report, bit for bit, from actors holding both models.

The driver settles the run as the one-process verb does (``tasks.compare_setup``: the reference opened and checked
against the candidate, the judging profile, the masking settings), then reads and numbers the samples lazily and
sends blocks of them to the actors (``streaming.run_blocks``). Each actor opens the candidate and the reference once
and compares a block with ``tasks.compare_samples`` (per-sample masking: sample i's masks are drawn from its corpus
index, whatever its block); the candidate's, the reference's and the paired totals of the blocks merge exactly, and
``tasks.compare_report`` judges them as one run: figures, per-sample rows, the paired bootstrap interval, verdict.
A reference given as torch logits (``reference.npz``) needs its masks file: not offered here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MaskingConfig
from ..errors import FillMaskError
from ..limits import check_count
from ..metrics import PairedTotals, Thresholds, Totals
from ..report import CompareReport
from ..tasks import LOGITS_BUDGET
from ..text import Progress, check_shard, non_empty
from .actors import Job, load_tokenizer, open_pair
from .reading import source_texts
from .runs import Parts, check_partial_data, run_sizes, worker_paths
from .session import check_cpus, quiet_data, ray_session, require_ray
from .streaming import run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend

__all__ = ["compare", "CompareJob"]

@dataclass(frozen=True)
class CompareJob(Job):
    """A block of numbered samples compared by ``tasks.compare_samples``; ``options`` name the reference."""

    def open(self) -> Any:
        """The candidate, its tokenizer and the ``CompareSetup`` holding the reference, opened once per actor."""
        from ..runtime import open_model, pick_backend
        from ..tasks.paired_scoring import compare_setup

        o = self.options
        candidate, tokenizer = open_pair(self.model, self.tokenizer, self.backend, self.threads)
        onnx = pick_backend(o["reference"], o["reference_backend"]) == "onnx"
        reference = open_model(o["reference"], backend=o["reference_backend"], precision=o["reference_precision"],
                               threads=self.threads if onnx else None)
        setup = compare_setup(candidate, reference, tokenizer, [], reference_tokenizer=None, reference_precision=None,
                              masks=None, config=MaskingConfig(**o["config"]), masking={}, bootstrap=o["bootstrap"],
                              bootstrap_seed=o["bootstrap_seed"], profile=o["profile"], thresholds=o["thresholds"])
        return candidate, tokenizer, setup

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """``{"candidate", "reference", "paired"}``: the three totals' states of the block."""
        from ..tasks.paired_scoring import compare_samples

        candidate, tokenizer, setup = opened
        cand, ref, paired = compare_samples(candidate, setup, tokenizer, block,
                                            logits_budget=self.options["logits_budget"])
        return {"candidate": cand.state(), "reference": ref.state(), "paired": paired.state()}


def compare(data: Any, *, model: str | Path, reference: str | Path, tokenizer: str | Path | None = None,
            reference_tokenizer: str | Path | None = None, reference_backend: Backend = "auto",
            reference_precision: str | None = None, text_field: str | None = None, workers: int = 2,
            cpus_per_worker: int = 1, address: str | None = None, backend: Backend = "auto",
            config: MaskingConfig | None = None, bootstrap: int = 1000, bootstrap_seed: int = 0,
            profile: str = "auto", thresholds: Thresholds | None = None, logits_budget: int = LOGITS_BUDGET,
            progress: bool | None = None, shard: tuple[int, int] | str | None = None,
            partial: str | Path | None = None, block_samples: int | None = None, max_in_flight: int | None = None,
            **masking: Any) -> CompareReport:
    """Compare a candidate with a reference model on a Ray cluster: ``fillmask_np.compare``'s report, bit for bit.

    Args:
        data: as ``evaluate`` here (a Dataset, or paths of text / JSONL / CSV / TSV / Parquet files).
        model: the candidate's path (or Hub id); tokenizer: default the one beside it.
        reference: the reference model's path (an ``.onnx`` file, export or checkpoint directory), as the workers
            see it; reference_backend / reference_precision: how it is opened (``runtime.open_model``).
        reference_tokenizer: the reference's own tokenizer, checked on the driver to map every token as the
            candidate's does.
        workers, cpus_per_worker, address, backend, block_samples, max_in_flight: as ``evaluate`` here.
        config, **masking, bootstrap, bootstrap_seed, profile, thresholds, logits_budget, shard: as
            ``fillmask_np.compare`` (per-sample masking only, no masks file).
        progress: a progress bar of the samples merged (default: when stderr is a terminal).
        partial: write the run's partial file here (``data`` must be one file), for ``merge``.
    Returns:
        a ``CompareReport`` equal to the one-process run's; ``report.ray`` records the nodes that scored blocks.

    >>> report = compare("corpus.txt", model="int8/", reference="fp32/", workers=4)  # doctest: +SKIP
    """
    from ..runtime import open_model
    from ..tasks.paired_scoring import compare_report, compare_setup

    require_ray()
    if masking.get("masks") is not None or masking.get("masking") == "hf" or (
            isinstance(config, MaskingConfig) and config.masking == "hf"):
        raise FillMaskError("masks= and masking='hf' are not supported by the Ray backend (the workers draw masks "
                            "per sample); use fillmask_np.compare")
    logits_budget = check_count("logits_budget", logits_budget, hint="logits a forward pass may hold")
    shard = check_shard(shard)
    check_partial_data(data, partial)
    model_path, tok_path = worker_paths(model, tokenizer, backend)
    ref_path = Path(reference).resolve()
    if ref_path.suffix == ".npz":
        raise FillMaskError(f"reference {str(reference)!r} is a torch logits npz, replayed from its masks file: not "
                            f"offered on Ray; use fillmask_np.compare")
    candidate, tok = open_model(model_path, backend=backend), load_tokenizer(model_path, tok_path)
    ref_model = open_model(ref_path, backend=reference_backend, precision=reference_precision)
    ref_tok = None if reference_tokenizer is None else load_tokenizer(reference_tokenizer, reference_tokenizer)
    setup = compare_setup(candidate, ref_model, tok, data, reference_tokenizer=ref_tok, reference_precision=None,
                          masks=None, config=config, masking=masking, bootstrap=bootstrap,
                          bootstrap_seed=bootstrap_seed, profile=profile, thresholds=thresholds)
    workers, cpus, size, window = run_sizes(workers, cpus_per_worker, block_samples or 16 * setup.config.batch_size,
                                            max_in_flight)
    if partial is not None:
        from ..tasks.partials import check_partial

        partial = check_partial(partial, candidate, tok, data, reference=ref_model)
    options = dict(reference=str(ref_path), reference_backend=reference_backend,
                   reference_precision=reference_precision, config=setup.config.as_dict(), bootstrap=int(bootstrap),
                   bootstrap_seed=int(bootstrap_seed), profile=profile, thresholds=thresholds,
                   logits_budget=logits_budget)
    job = CompareJob(str(model_path), None if tok_path is None else str(tok_path), backend, cpus, options)
    counts = {"n_samples": 0, "n_empty": 0}
    parts = {"candidate": Parts(Totals.merge), "reference": Parts(Totals.merge)}
    paired: Parts[PairedTotals] = Parts(PairedTotals.merge)
    bar = Progress(enabled=progress, label="compare")

    def merge(result: dict[str, Any]) -> None:
        part = result["partial"]
        for side in ("candidate", "reference"):
            parts[side].add(Totals.from_state(part[side]))
        paired.add(PairedTotals.from_state(part["paired"]))
        bar.update(result["samples"])

    with ray_session(address, num_cpus=workers * cpus) as ray, quiet_data(ray, progress=False):
        check_cpus(ray, cpus)
        with contextlib.closing(source_texts(ray, data, text_field=text_field)) as rows:
            record = run_blocks(ray, non_empty(rows, counts, setup.config.limit, shard), job, merge, block=size,
                                workers=workers, cpus=cpus, window=window)
    bar.close()
    cand, ref = (parts[side].merged() or Totals() for side in ("candidate", "reference"))
    if cand.counts["n_samples"] != counts["n_samples"]:
        raise FillMaskError(f"the Ray workers scored {cand.counts['n_samples']} samples of {counts['n_samples']}: a "
                            f"block was lost or scored twice; run again")
    cand.counts["n_empty"] = ref.counts["n_empty"] = counts["n_empty"]
    report = compare_report(setup, candidate, tok, data, cand, ref, paired.merged() or PairedTotals(), shard=shard)
    report.ray = record
    if partial is not None:
        from ..tasks.partials import save_partial

        report.saved_partial = save_partial(partial, report, candidate, tok, data, reference=setup.ref_info)
    return report
