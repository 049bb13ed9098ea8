"""Compare two masked LMs on identical masks: both CEs, ΔCE with a paired bootstrap interval, KL, a verdict.

One pass over the data: each masked batch (``masking.masked_batches``) goes through the candidate and
the reference before the next, and only the logits at the masked positions are kept ([M, V] per pass,
within the logits budget). The reference is a second ONNX model sharing the candidate's tokenizer, or
torch's logits on a mask manifest (a ``reference.npz`` made by ``golden_data/score_masks_torch.py``),
replayed from ``masks=``.

Verdict, from the criteria (``metrics.criteria``, thresholds ``metrics.Thresholds``): the relative ΔCE at
the upper end of its bootstrap interval, the mean KL, the top-1 agreement, the top-5 overlap and, under the
fidelity profile, the largest |Δlogit|. PASS when every criterion is within its AT_RISK threshold,
REGRESSION when any is beyond its REGRESSION threshold, else AT_RISK; thresholds are inclusive. The
thresholds are a profile's (``metrics.profiles``): *fidelity* for a float conversion, *lossy* when either
graph holds quantized operators, or ``profile=`` / ``thresholds=``. The report's ``profile``, ``criteria``
and ``reasons`` say which profile judged and which criterion decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MaskingConfig
from ..limits import check_count
from ..masking import MaskManifest, masked_batches
from ..metrics import PairedTotals, Thresholds, Totals, pick_profile, validate_thresholds
from ..report import CompareReport
from ..text import check_shard
from .evaluation import LOGITS_BUDGET
from .paired_scoring import check_distinct, compare_batches, compare_report, compare_setup
from .partials import check_partial, save_partial

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..text import TextSource
    from ..tokenization import Tokenizer

__all__ = ["compare", "check_distinct"]


def compare(
    candidate: MaskedLM,
    reference: MaskedLM | str | Path,
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    reference_tokenizer: Tokenizer | None = None,
    reference_precision: str | None = None,
    masks: str | Path | MaskManifest | None = None,
    config: MaskingConfig | None = None,
    text_field: str | None = None,
    bootstrap: int = 1000,
    bootstrap_seed: int = 0,
    profile: str = "auto",
    thresholds: Thresholds | None = None,
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
        reference_precision: for a checkpoint path ``reference``, the NumPy backend's arithmetic: ``"float32"``
            (default) or ``"float64"`` (the exact reference; ``runtime.open_model``).
        masks: a mask manifest (``masks.npz`` path or ``MaskManifest``) to replay instead of masking
            ``texts`` anew; its settings replace the masking arguments, as in ``evaluate``.
        config, **masking: the masking settings, as ``evaluate``; ``max_length`` defaults to the smallest
            limit of the two models and the tokenizer (the report's settings say which one set it).
        text_field, logits_budget, progress: as ``evaluate`` (the budget holds for each model's pass).
        bootstrap: paired bootstrap resamples of the masked tokens for the ΔCE interval (0 skips it).
        bootstrap_seed: seed of the bootstrap's ``numpy.random.default_rng``.
        profile: ``"auto"`` (default): ``"lossy"`` when the candidate's or the reference's ONNX graph holds
            quantized operators (int8), else ``"fidelity"`` (a float conversion, judged against float noise);
            or ``"fidelity"`` / ``"lossy"`` as given. The report's ``profile`` names it and why.
        thresholds: a ``Thresholds`` to judge with instead of the profile's preset (``fm.FIDELITY``,
            ``fm.LOSSY``); e.g. ``dataclasses.replace(fm.FIDELITY, max_logit_regression=0.1)``.
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
    validate_thresholds(thresholds, bootstrap, bootstrap_seed)
    logits_budget = check_count("logits_budget", logits_budget, hint="logits a forward pass may hold")
    pick_profile(profile, {}, None)  # a bad name is refused before any work
    shard = check_shard(shard)
    setup = compare_setup(candidate, reference, tokenizer, texts, reference_tokenizer=reference_tokenizer,
                          reference_precision=reference_precision, masks=masks, config=config, masking=masking,
                          bootstrap=bootstrap, bootstrap_seed=bootstrap_seed, profile=profile, thresholds=thresholds)
    if partial is not None:  # refused before any work
        partial = check_partial(partial, candidate, tokenizer, texts, masks=setup.masks,
                                reference=None if setup.torch_ref is not None else setup.ref)
    totals = Totals()
    batches = masked_batches(tokenizer, texts, setup.config, counts=totals.counts, text_field=text_field,
                             progress=progress, manifest=setup.manifest, shard=shard, label="compare")
    ref_totals, paired = Totals(totals.counts), PairedTotals()
    compare_batches(candidate, setup, tokenizer, batches, totals, ref_totals, paired, logits_budget=logits_budget)
    report = compare_report(setup, candidate, tokenizer, texts, totals, ref_totals, paired, shard=shard)
    if partial is not None:
        report.saved_partial = save_partial(partial, report, candidate, tokenizer, texts, reference=setup.ref_info)
    return report
