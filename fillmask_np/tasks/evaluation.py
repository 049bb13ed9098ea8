"""Evaluate a masked LM on a text corpus: masked cross-entropy, perplexity, top-1/top-5 accuracy.

Two masking modes, ``"per_sample"`` (default, batch-independent) and ``"hf"`` (HF's collator batch by
batch): see ``masking.corpus``.

Both modes take HF's special-token policies (``special_tokens="template"``, the default, or
``"all_special_ids"``; see ``Tokenizer.encode_batch``) and its whole-word option (``whole_word=True``).

Only the masked rows of the logits are ever log-softmaxed; memory is bounded by the batch. A model
rewritten by ``fillmask-np optimize`` computes those rows only (``OnnxMaskedLM.masked_logits``).

``save_masks=PATH`` writes the masks drawn (a ``masks_file`` manifest); ``masks=PATH`` scores a
manifest's masks instead of drawing: its settings replace the masking arguments (``seed``,
``masking``, the probabilities, ``whole_word``, ``special_tokens``, ``batch_size``, ``max_length``,
``limit``, which are then ignored), and the batches are those of the run that wrote it, so the
report is the same. ``return_tokens=True`` fills ``report.tokens`` with one record per masked
token; ``worst=N`` fills ``report.worst_tokens`` with the N highest-loss ones and their context.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..config import MaskingConfig, masking_config
from ..errors import FillMaskError
from ..limits import check_count, option_label, option_name
from ..masking import MaskManifest, MaskRecorder, check_long, manifest_header, masked_batches, replay_config, windowing
from ..masking import save_masks as write_masks
from ..metrics import TokenCollector, Totals
from ..runtime import check_max_length, check_pair
from ..text import check_output, check_shard
from .blocks import LOGITS_BUDGET, eval_report, score_batches
from .inputs import input_paths
from .partials import check_partial, save_partial

if TYPE_CHECKING:  # pragma: no cover
    from ..report import EvalReport
    from ..runtime import MaskedLM
    from ..text import TextSource
    from ..tokenization import Tokenizer

__all__ = ["evaluate", "LOGITS_BUDGET"]


def evaluate(
    model: MaskedLM,
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    config: MaskingConfig | None = None,
    text_field: str | None = None,
    logits_budget: int = LOGITS_BUDGET,
    progress: bool | None = None,
    return_tokens: bool = False,
    return_top5: bool = False,
    worst: int = 0,
    save_masks: str | Path | None = None,
    masks: str | Path | MaskManifest | None = None,
    shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None,
    long: Literal["truncate", "window"] = "truncate",
    stride: int | None = None,
    **masking: Any,
) -> EvalReport:
    """Mask a corpus, run the model, and score the masked tokens.

    Args:
        model: an ``OnnxMaskedLM`` or any ``MaskedLM``.
        tokenizer: the model's ``Tokenizer``.
        texts: a list of texts, or the path of a text file (one sample per line), JSONL, CSV/TSV or Parquet
            file (see ``iter_texts``). One bare string is a path, never a text: score one text as ``[text]``.
        config: the masking settings as one ``MaskingConfig``; or give them as keywords (``**masking``).
        **masking: ``MaskingConfig``'s fields: ``seed`` (0), ``masking`` ("per_sample", batch-independent;
            or "hf", HF's collator batch by batch), ``mlm_probability`` (0.15), ``mask_replace_prob`` /
            ``random_replace_prob`` (HF's 0.8 / 0.1; 1.0 / 0.0 with ``whole_word``), ``whole_word``,
            ``special_tokens`` ("template": the tokenizer's added [CLS]/[SEP], as ``run_mlm.py``; or
            "all_special_ids"), ``batch_size`` (16 samples per forward pass), ``max_length`` (default: the
            smallest of the model's and the tokenizer's limits; 512 when none is known), ``limit`` (only the
            first N non-empty samples). A bad value raises at once, naming it.
        text_field: JSONL field holding the text.
        logits_budget: a forward pass covers at most this many logits (rows x length x vocab, or
            masked tokens x vocab for a model that ``gathers_positions``; at least one row); a batch above
            it runs in several passes. Bounds memory; no effect on results.
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        return_tokens: fill ``report.tokens`` with every masked token's record: [T] arrays ``sample``,
            ``position``, ``input_id``, ``label``, ``loss``, ``rank``, ``top_id`` (see ``EvalReport``).
        return_top5: with ``return_tokens``, the records also hold ``top5_ids`` and ``top5_probs`` ([T, 5]: the
            model's five best ids, highest first, and their probabilities; what the HTML report shows).
        worst: fill ``report.worst_tokens`` with the ``worst`` highest-loss tokens and their context
            (keeps only those in memory).
        save_masks: write the masks to this ``.npz`` manifest (see ``masking.manifest``).
        masks: a manifest (path or ``MaskManifest``) to score instead of drawing masks; it must have been
            made with this tokenizer and data. Its settings replace ``config`` / ``**masking``.
        shard: ``(i, n)`` or ``"i/n"``: score only samples ``k % n == i`` (per-sample masking); ``merge`` of the
            n shards' partials is the whole corpus's report, bit for bit.
        partial: write the run's partial file here (``.json`` or ``.npz``: its mergeable totals, settings and the
            sha256 of model, tokenizer and data), for ``merge``; ``report.saved_partial`` names what was written.
        long: a sample longer than ``max_length``: "truncate" (default: its first tokens only) or "window": its masks
            are drawn once over the whole sample (the same Generator, so a sample that fits is masked as with
            "truncate") and each masked token is scored in one of the overlapping windows of ``max_length`` tokens
            (see ``masking.windows``); per-sample masking only, no masks file.
        stride: with ``long="window"``: tokens between window starts, 1 to the window's text tokens (default half).
    Returns:
        an ``EvalReport`` (``settings["shard"]``: the shard, as ``"i/n"``; None for the whole corpus).

    >>> report = evaluate(model, tok, ["The cat sat on the mat."], seed=42)  # doctest: +SKIP
    """
    worst = check_count("worst", worst, hint="the number of worst tokens to list; 0: none")
    if return_top5 and not return_tokens:
        raise FillMaskError("return_top5=True adds columns to the per-token records; pass return_tokens=True too")
    stride = check_long(long, stride)
    if long == "window" and (save_masks is not None or masks is not None):
        raise FillMaskError(f"{option_label('long', 'window')} draws masks over whole samples; a masks file "
                            f"({option_name('save_masks')}, {option_name('masks')}) records truncated rows: use "
                            f"{option_label('long', 'truncate')} with masks files")
    check_pair(model, tokenizer)
    if save_masks is not None:  # refused before any work, not after the whole run
        save_masks = check_output(save_masks, inputs=input_paths(model, tokenizer, texts, masks), what="save_masks")
    if partial is not None:
        partial = check_partial(partial, model, tokenizer, texts, masks=masks)
    shard = check_shard(shard)
    if shard is not None and save_masks is not None:
        raise FillMaskError(f"save_masks (--save-masks) writes the masks of one whole run, not of shard "
                            f"{shard[0]}/{shard[1]}: save them from a run without a shard")
    given = masking_config(config, masking) if masks is None else None
    config, manifest = replay_config(given, masks, tokenizer, texts)
    max_length = check_max_length(model, tokenizer, config.max_length)
    config = config.with_max_length(max_length)
    plan = windowing(tokenizer, max_length, stride) if long == "window" else None
    totals = Totals()
    batches = masked_batches(tokenizer, texts, config, counts=totals.counts, text_field=text_field,
                             progress=progress, manifest=manifest, shard=shard, plan=plan)
    recorder = MaskRecorder() if save_masks is not None else None
    collector = TokenCollector(keep_all=bool(return_tokens), worst=int(worst), top5=bool(return_top5))
    score_batches(model, tokenizer, batches, totals, collector, recorder, logits_budget=logits_budget)
    report = eval_report(totals, config, manifest, shard=shard, plan=plan)
    if recorder is not None and save_masks is not None:
        header = manifest_header(tokenizer, texts, config, n_samples=report.n_samples, n_rows=0)
        written = write_masks(save_masks, recorder.manifest(header, tokenizer.pad_token_id))
        report.saved_masks = {"path": str(written.path), "sha256": str(written.sha256)}
    if return_tokens:
        report.tokens = collector.columns()
    if worst:
        report.worst_tokens = collector.worst_records(tokenizer)
    if partial is not None:
        report.saved_partial = save_partial(partial, report, model, tokenizer, texts, worst=int(worst))
    return report
