"""Compare two masked LMs on identical masks: both CEs, ΔCE with a paired bootstrap interval, KL, a verdict.

One pass over the data: each masked batch (``masking.masked_batches``) goes through the candidate and
the reference before the next, and only the logits at the masked positions are kept ([M, V] per pass,
within the logits budget). The reference is a second ONNX model sharing the candidate's tokenizer, or
torch's logits on a mask manifest (a ``reference.npz`` made by ``golden_data/score_masks_torch.py``),
replayed from ``masks=``.

Verdict, from four criteria (``metrics.criteria``, thresholds ``metrics.Thresholds``): the relative ΔCE at
the upper end of its bootstrap interval, the mean KL, the top-1 agreement and the top-5 overlap. PASS
when every criterion is within its AT_RISK threshold, REGRESSION when any is beyond its REGRESSION
threshold, else AT_RISK; thresholds are inclusive. The report's ``criteria`` and ``reasons`` say which
criterion decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import MaskingConfig, masking_config
from ..errors import FillMaskError
from ..masking import IGNORE_INDEX, MaskManifest, load_masks, masked_batches, replay_config, settings_of
from ..metrics import DEFAULT_THRESHOLDS as LIMITS
from ..metrics import EVAL_REPORT_COUNTS, PairedTotals, Totals, passes, validate_thresholds, warn_unknown
from ..numerics import paired_rows
from ..report import CompareReport, EvalReport, provenance
from ..runtime import (open_model, TorchReference, check_pair, check_same_tokenizer, check_vocab,
                       shared_max_length)
from ..text import check_shard, shard_label
from .evaluation import LOGITS_BUDGET
from .partials import check_partial, save_partial

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..text import TextSource
    from ..tokenization import Tokenizer

__all__ = ["compare"]


def compare(
    candidate: MaskedLM,
    reference: MaskedLM | str | Path,
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    reference_tokenizer: Tokenizer | None = None,
    masks: str | Path | MaskManifest | None = None,
    config: MaskingConfig | None = None,
    text_field: str | None = None,
    bootstrap: int = 1000,
    bootstrap_seed: int = 0,
    at_risk: float = LIMITS.at_risk,
    regression: float = LIMITS.regression,
    kl_at_risk: float = LIMITS.kl_at_risk,
    kl_regression: float = LIMITS.kl_regression,
    agreement_at_risk: float = LIMITS.agreement_at_risk,
    agreement_regression: float = LIMITS.agreement_regression,
    top5_at_risk: float = LIMITS.top5_at_risk,
    top5_regression: float = LIMITS.top5_regression,
    logits_budget: int = LOGITS_BUDGET,
    progress: bool | None = None,
    shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None,
    **masking: Any,
) -> CompareReport:
    """Score a candidate and a reference model on the same masked tokens and decide PASS / AT_RISK / REGRESSION.

    Args:
        candidate: the model under test (an ``OnnxMaskedLM`` or any ``MaskedLM``).
        reference: the baseline: a ``MaskedLM``, a model path, or a torch ``reference.npz`` (then
            ``masks`` must be the manifest it was scored on).
        tokenizer: the candidate's ``Tokenizer``; it encodes and masks for both models.
        texts: a list of texts, or the path of a text file (one sample per line), JSONL, CSV/TSV or Parquet
            file (see ``iter_texts``). One bare string is a path, never a text: score one text as ``[text]``.
        reference_tokenizer: the reference's own tokenizer, if it has one: it must map every token to
            the same id as ``tokenizer``.
        masks: a mask manifest (``masks.npz`` path or ``MaskManifest``) to replay instead of masking
            ``texts`` anew; its settings replace the masking arguments, as in ``evaluate``.
        config, **masking: the masking settings, as ``evaluate``; ``max_length`` defaults to the smallest
            limit of the two models and the tokenizer (the report's settings say which one set it).
        text_field, logits_budget, progress: as ``evaluate`` (the budget holds for each model's pass).
        bootstrap: paired bootstrap resamples of the masked tokens for the ΔCE interval (0 skips it).
        bootstrap_seed: seed of the bootstrap's ``numpy.random.default_rng``.
        at_risk, regression: relative ΔCE (upper end of the bootstrap interval; the point estimate with
            ``bootstrap=0``) beyond which the verdict is AT_RISK / REGRESSION (inclusive: ``<= at_risk``
            is within); 0 <= at_risk <= regression.
        kl_at_risk, kl_regression: the same for the mean KL(reference || candidate), nats per token.
        agreement_at_risk, agreement_regression: top-1 agreement below which the verdict is AT_RISK /
            REGRESSION (inclusive: ``>= at_risk`` is within); 1 >= at_risk >= regression >= 0.
        top5_at_risk, top5_regression: the same for the top-5 overlap.
        shard: ``(i, n)`` or ``"i/n"``: compare on samples ``k % n == i`` only; ``merge`` of the n shards'
            partials is the whole corpus's report, bootstrap interval included.
        partial: write the run's partial file here (``.json`` or ``.npz``), for ``merge``; see ``evaluate``.
    Returns:
        a ``CompareReport``.

    The two sessions take turns; load them with ``OnnxMaskedLM(..., allow_spinning=False)`` so that
    one's idle threads do not spin while the other runs (the CLI does).

    >>> report = compare(fm.OnnxMaskedLM("int8/"), fm.OnnxMaskedLM("fp32/"), tok, "text.txt")  # doctest: +SKIP
    >>> report.verdict, report.delta_cross_entropy  # doctest: +SKIP
    ('PASS', 0.0031)
    """
    limits = validate_thresholds(at_risk, regression, bootstrap, bootstrap_seed, kl_at_risk=kl_at_risk,
                                 kl_regression=kl_regression, agreement_at_risk=agreement_at_risk,
                                 agreement_regression=agreement_regression, top5_at_risk=top5_at_risk,
                                 top5_regression=top5_regression)
    shard = check_shard(shard)
    torch_ref, ref_info = None, None
    if masks is not None and not isinstance(masks, MaskManifest):
        masks = load_masks(masks)
    if isinstance(reference, (str, Path)):
        if Path(reference).suffix == ".npz":
            if masks is None:
                raise FillMaskError(f"reference {str(reference)!r} is a torch logits npz: pass masks= (--masks), "
                                    f"the mask manifest it was scored on")
            torch_ref = reference = TorchReference(reference, masks)
            ref_info = torch_ref.info
        else:
            reference = open_model(reference)  # an .onnx export (ONNX Runtime) or a checkpoint (NumPy)
    check_pair(candidate, tokenizer, what="candidate")
    if torch_ref is None:
        if reference_tokenizer is not None:  # first: its message names both tokenizers
            check_same_tokenizer(tokenizer, reference_tokenizer)
        check_pair(reference, tokenizer, what="reference")
        ref_info = provenance(reference)["model"]
    check_vocab(candidate, reference)
    if partial is not None:  # refused before any work
        partial = check_partial(partial, candidate, tokenizer, texts, masks=masks,
                                reference=None if torch_ref is not None else reference)
    given = masking_config(config, masking) if masks is None else None
    max_len, max_from = shared_max_length(candidate, reference, tokenizer, given and given.max_length)
    config, manifest = replay_config(given and given.with_max_length(max_len), masks, tokenizer, texts)
    totals = Totals()
    batches = masked_batches(tokenizer, texts, config, counts=totals.counts, text_field=text_field,
                             progress=progress, manifest=manifest, shard=shard)
    ref_totals, paired = Totals(totals.counts), PairedTotals()
    widths = [v for v in (candidate.vocab_size, reference.vocab_size) if v]
    gathers = candidate.gathers_positions and (torch_ref is not None or reference.gathers_positions)
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
                ref_rows = reference.masked_logits(*args, pad_token_id=tokenizer.pad_token_id)  # [M, V]
            _check_rows(candidate, reference, cand_rows, ref_rows, targets)
            rows = paired_rows(ref_rows, cand_rows, targets)
            totals.add_batch(batch.indices[part], rows.nll_cand, rows.rank_cand, positions[:, 0], batch.position_of)
            ref_totals.add_batch(batch.indices[part], rows.nll_ref, rows.rank_ref, positions[:, 0],
                                 batch.position_of)
            paired.add(rows, batch.indices[part], positions[:, 0], positions[:, 1])
    settings = {**settings_of(config, manifest), "max_length_from": "masks file" if masks is not None else max_from,
                "bootstrap": int(bootstrap), "bootstrap_seed": int(bootstrap_seed), "shard": shard_label(shard),
                "reference_kind": "torch_npz" if torch_ref is not None else ref_info.get("backend", "onnx")}
    cand_report = EvalReport.from_totals(totals, settings)
    ref_report = EvalReport.from_totals(ref_totals, settings)
    warn_unknown(totals.counts)  # the two models read the same tokens: one warning
    record = provenance(candidate, tokenizer, texts, reference=ref_info,
                        masks_sha256=None if masks is None else masks.sha256, **_counts(cand_report), **{
                            k: settings[k] for k in ("seed", "masking", "mlm_probability", "mask_replace_prob",
                                                     "random_replace_prob", "whole_word", "special_tokens",
                                                     "max_length", "bootstrap_seed", "shard")})
    report = CompareReport.from_totals(paired, cand_report, ref_report, bootstrap=int(bootstrap),
                                       bootstrap_seed=int(bootstrap_seed), thresholds=limits, settings=settings,
                                       provenance=record)
    if partial is not None:
        report.saved_partial = save_partial(partial, report, candidate, tokenizer, texts, reference=ref_info)
    return report


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
