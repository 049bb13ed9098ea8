"""The parts of ``compare`` that a one-process run and a Ray run share: ``compare_setup`` (inputs checked, the
reference opened, profile and masking settled), ``compare_batches`` (both models on each masked batch),
``compare_samples`` (the totals of one block of numbered samples) and ``compare_report`` (the verdict of totals)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from ..config import MaskingConfig, masking_config
from ..errors import FillMaskError
from ..masking import IGNORE_INDEX, MaskManifest, load_masks, replay_config, sample_batches, settings_of
from ..metrics import (EVAL_REPORT_COUNTS, PROFILES, PairedTotals, Thresholds, Totals, passes, pick_profile,
                       validate_thresholds, warn_unknown)
from ..numerics import paired_rows
from ..report import CompareReport, EvalReport, provenance
from ..runtime import (open_model, TorchReference, check_pair, check_same_tokenizer, check_vocab,
                       shared_max_length, unused_sibling)
from ..text import shard_label
from .evaluation import LOGITS_BUDGET

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import MaskedBatch
    from ..runtime import MaskedLM
    from ..text import TextSource
    from ..tokenization import Tokenizer

__all__ = ["CompareSetup", "check_distinct", "compare_batches", "compare_report", "compare_samples", "compare_setup"]


@dataclass
class CompareSetup:
    """What ``compare`` settles before scoring: the reference opened, its record, the masking settings, the
    judging profile and thresholds."""

    ref: Any  # a MaskedLM, or the TorchReference of an npz
    torch_ref: TorchReference | None
    ref_info: dict[str, Any]
    masks: MaskManifest | None
    manifest: MaskManifest | None
    config: MaskingConfig
    max_from: str
    limits: Thresholds
    chosen: dict[str, str]
    bootstrap: int
    bootstrap_seed: int


def compare_setup(candidate: MaskedLM, reference: MaskedLM | str | Path, tokenizer: Tokenizer, texts: TextSource,
                  *, reference_tokenizer: Tokenizer | None, reference_precision: str | None,
                  masks: str | Path | MaskManifest | None, config: MaskingConfig | None, masking: dict[str, Any],
                  bootstrap: int, bootstrap_seed: int, profile: str, thresholds: Thresholds | None) -> CompareSetup:
    """Check ``compare``'s inputs and settle what it scores with (see ``compare``'s arguments), before any work.

    Returns:
        a ``CompareSetup``.
    """
    validate_thresholds(thresholds, bootstrap, bootstrap_seed)
    pick_profile(profile, {}, None)  # a bad name is refused before any work
    torch_ref: TorchReference | None = None
    ref_info: dict[str, Any] = {}
    ref: Any = reference  # a MaskedLM once opened, or the TorchReference of an npz
    if masks is not None and not isinstance(masks, MaskManifest):
        masks = load_masks(masks)
    if reference_precision is not None and (not isinstance(reference, (str, Path)) or
                                            Path(reference).suffix == ".npz"):
        raise FillMaskError(f"reference_precision={reference_precision!r} applies to a checkpoint path opened here; "
                            f"the reference {str(reference)!r} is already opened or a torch npz: pass "
                            f"NumpyMaskedLM(path, precision=...) as the reference instead")
    if isinstance(reference, (str, Path)):
        if Path(reference).suffix == ".npz":
            if masks is None:
                raise FillMaskError(f"reference {str(reference)!r} is a torch logits npz: pass masks= (--masks), "
                                    f"the mask manifest it was scored on")
            torch_ref = ref = TorchReference(reference, masks)
            ref_info = torch_ref.info
        else:
            ref = open_model(reference, precision=reference_precision)  # .onnx (ONNX Runtime) or checkpoint (NumPy)
    check_pair(candidate, tokenizer, what="candidate")
    if torch_ref is None:
        if reference_tokenizer is not None:  # first: its message names both tokenizers
            check_same_tokenizer(tokenizer, reference_tokenizer)
        check_pair(ref, tokenizer, what="reference")
        check_distinct(candidate, ref)
        ref_info = provenance(ref)["model"]
        note = unused_sibling(ref_info)
        if note:
            ref_info = {**ref_info, "note": note}
    check_vocab(candidate, ref)
    name, reason = pick_profile(profile, candidate.describe(), None if torch_ref is not None else ref_info)
    limits = PROFILES[name] if thresholds is None else thresholds
    chosen = {"name": name, "reason": reason, "thresholds": "preset" if thresholds is None else "given"}
    given = masking_config(config, masking) if masks is None else None
    max_len, max_from = shared_max_length(candidate, ref, tokenizer, given.max_length if given else None)
    resolved, manifest = replay_config(given and given.with_max_length(max_len), masks, tokenizer, texts)
    return CompareSetup(ref, torch_ref, ref_info, masks, manifest, resolved, max_from, limits, chosen, int(bootstrap),
                        int(bootstrap_seed))


def compare_batches(candidate: MaskedLM, setup: CompareSetup, tokenizer: Tokenizer, batches: Iterable[MaskedBatch],
                    totals: Totals, ref_totals: Totals, paired: PairedTotals, *, logits_budget: int) -> None:
    """Score every masked batch with both models into ``totals`` (candidate), ``ref_totals`` and ``paired``."""
    ref, torch_ref = setup.ref, setup.torch_ref
    widths = [v for v in (candidate.vocab_size, ref.vocab_size) if v]
    gathers = candidate.gathers_positions and (torch_ref is not None or ref.gathers_positions)
    for batch in batches:
        for part in passes(batch.labels, max(widths or [len(tokenizer)]), logits_budget, gathers):
            labels = batch.labels[part]
            positions = np.argwhere(labels != IGNORE_INDEX)  # [M, 2] (row in part, position), row-major
            if len(positions) == 0:
                continue
            targets = labels[positions[:, 0], positions[:, 1]]  # [M]
            args = (batch.enc.input_ids[part], batch.enc.attention_mask[part], batch.enc.token_type_ids[part],
                    positions)
            cand_rows = candidate.masked_logits(*args, pad_token_id=tokenizer.pad_token_id)  # [M, V]
            if torch_ref is not None:
                ref_rows = torch_ref.rows(batch.indices[part], positions[:, 0], targets)  # [M, V]
            else:
                ref_rows = ref.masked_logits(*args, pad_token_id=tokenizer.pad_token_id)  # [M, V]
            _check_rows(candidate, ref, cand_rows, ref_rows, targets)
            rows = paired_rows(ref_rows, cand_rows, targets)
            totals.add_batch(batch.indices[part], rows.nll_cand, rows.rank_cand, positions[:, 0], batch.position_of)
            ref_totals.add_batch(batch.indices[part], rows.nll_ref, rows.rank_ref, positions[:, 0],
                                 batch.position_of)
            paired.add(rows, batch.indices[part], positions[:, 0], positions[:, 1])


def compare_samples(candidate: MaskedLM, setup: CompareSetup, tokenizer: Tokenizer,
                    samples: Iterable[tuple[int, int, str]], *,
                    logits_budget: int = LOGITS_BUDGET) -> tuple[Totals, Totals, PairedTotals]:
    """Compare on numbered samples as ``compare`` does: the totals of one block of a corpus (per-sample masking:
    sample i's masks are drawn from its corpus index, whatever the block; see ``tasks.blocks.score_samples``).

    Args:
        candidate, setup, tokenizer: as ``compare`` settles them (``compare_setup``; no masks file).
        samples: ``(sample index, source position, non-empty text)``.
        logits_budget: as ``compare``.
    Returns:
        the candidate's, the reference's and the paired totals of these samples.
    """
    totals = Totals()

    def counted() -> Iterator[tuple[int, int, str]]:
        for sample in samples:
            totals.counts["n_samples"] += 1
            yield sample

    batches = sample_batches(tokenizer, counted(), setup.config, counts=totals.counts, progress=False)
    ref_totals, paired = Totals(totals.counts), PairedTotals()
    compare_batches(candidate, setup, tokenizer, batches, totals, ref_totals, paired, logits_budget=logits_budget)
    return totals, ref_totals, paired


def compare_report(setup: CompareSetup, candidate: MaskedLM, tokenizer: Tokenizer, texts: Any, totals: Totals,
                   ref_totals: Totals, paired: PairedTotals, *, shard: tuple[int, int] | None) -> CompareReport:
    """The ``CompareReport`` of a run's (or merged blocks') totals, judged as ``setup`` says."""
    config, manifest, masks = setup.config, setup.manifest, setup.masks
    settings = {**settings_of(config, manifest),
                "max_length_from": "masks file" if masks is not None else setup.max_from,
                "bootstrap": setup.bootstrap, "bootstrap_seed": setup.bootstrap_seed, "shard": shard_label(shard),
                "reference_kind": "torch_npz" if setup.torch_ref is not None else setup.ref_info.get("backend",
                                                                                                      "onnx")}
    cand_report = EvalReport.from_totals(totals, settings)
    ref_report = EvalReport.from_totals(ref_totals, settings)
    warn_unknown(totals.counts)  # the two models read the same tokens: one warning
    record = provenance(candidate, tokenizer, texts, reference=setup.ref_info,
                        masks_sha256=None if masks is None else masks.sha256, **_counts(cand_report), **{
                            k: settings[k] for k in ("seed", "masking", "mlm_probability", "mask_replace_prob",
                                                     "random_replace_prob", "whole_word", "special_tokens",
                                                     "max_length", "bootstrap_seed", "shard")})
    return CompareReport.from_totals(paired, cand_report, ref_report, bootstrap=setup.bootstrap,
                                     bootstrap_seed=setup.bootstrap_seed, thresholds=setup.limits, settings=settings,
                                     provenance=record, profile=setup.chosen)


def check_distinct(candidate: MaskedLM, reference: MaskedLM) -> None:
    """``FillMaskError`` when the two models were read from the same weights file (``os.path.samefile``): a model
    compared with itself passes whatever it is. The same checkpoint run by NumPy in two precisions is allowed: that
    measures float32 against the exact float64 reference."""
    precisions = {model.describe().get("precision") for model in (candidate, reference)}
    if None not in precisions and len(precisions) == 2:
        return
    weights = [[Path(f) for f in model.files if Path(f).name != "config.json"] for model in (candidate, reference)]
    same = next(((a, b) for a in weights[0] for b in weights[1]
                 if a.exists() and b.exists() and os.path.samefile(a, b)), None)
    if same is not None:
        names = repr(str(same[0])) + ("" if same[0] == same[1] else f" and {str(same[1])!r}")
        raise FillMaskError(f"the candidate and the reference are the same file {names}: a model compared with "
                            f"itself always passes; pass the model it was converted from as the reference (for a "
                            f"directory holding both a checkpoint and model.onnx, --reference-backend numpy / "
                            f"open_model(dir, backend='numpy') runs the checkpoint; --reference-precision float64 "
                            f"runs it as the exact reference)")


def _check_rows(candidate: Any, reference: Any, cand_rows: np.ndarray, ref_rows: np.ndarray,
                targets: np.ndarray) -> None:
    """One-line errors for logits of different widths, or labels beyond them."""
    if cand_rows.shape != ref_rows.shape:
        raise FillMaskError(f"the candidate {candidate.name!r} gives {cand_rows.shape[-1]} "
                            f"logits per token but the reference {reference.name!r} gives "
                            f"{ref_rows.shape[-1]}; only models over the same vocabulary can be compared")
    if targets.max() >= cand_rows.shape[-1]:
        raise FillMaskError(f"label id {int(targets.max())} is outside the models' {cand_rows.shape[-1]} logits; "
                            f"the tokenizer does not belong to these models")


def _counts(report: Any) -> dict[str, int]:
    return {k: getattr(report, k) for k in EVAL_REPORT_COUNTS}
