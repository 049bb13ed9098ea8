"""Evaluate a masked LM on a text corpus: masked cross-entropy, perplexity, top-1/top-5 accuracy.

Two masking modes:

* ``"per_sample"`` (default): sample *i* (the i-th non-empty sample, 0-based, as in a dataset whose
  empty lines were dropped) is masked on its own, unpadded, by ``numpy.random.default_rng([seed, i])``;
  results do not depend on batch size, order or bucketing, so samples are sorted by length inside a
  window to cut padding.
* ``"hf"``: replays ``DataCollatorForLanguageModeling`` batch by batch: one
  ``default_rng(seed)`` masks each batch of ``batch_size`` consecutive non-empty samples, padded to
  the batch's longest, exactly as a seeded HF collator would; results depend on ``batch_size``.

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

import sys
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Literal, NamedTuple

import numpy as np

from ._eval_batches import draw_masker, hf_batch, non_empty, per_sample_batches, replacement_shares
from ._eval_report import EvalReport, Totals
from ._eval_scoring import _passes, _score, _score_rows  # noqa: F401  (compare imports _passes from here)
from ._masks_replay import MaskRecorder, ReplayMasker
from ._progress import Progress
from ._special_tokens import check_policy
from ._tokens import TokenCollector
from .data import TextSource, iter_texts
from .errors import FillMaskError
from .masking import validate_probabilities, validate_seed
from .masks_file import MaskManifest, load_masks, manifest_header
from .masks_file import save_masks as _write_masks

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_model import OnnxMaskedLM
    from .tokenizer import Tokenizer

__all__ = ["evaluate", "EvalReport", "MaskedBatch", "masked_batches"]

_WINDOW_BATCHES = 16  # per-sample mode sorts this many batches' worth of samples by length
_LOGITS_BUDGET = 1 << 24  # default cap on rows x length x vocab of one forward pass (64 MiB of float32)


def _default_max_length(model: OnnxMaskedLM, tokenizer: Tokenizer) -> int:
    limits = [n for n in (getattr(model, "max_length", None), tokenizer.model_max_length) if n]
    return min(limits) if limits else 512


def evaluate(
    model: OnnxMaskedLM,
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    seed: int = 0,
    masking: Literal["per_sample", "hf"] = "per_sample",
    mlm_probability: float = 0.15,
    mask_replace_prob: float | None = None,
    random_replace_prob: float | None = None,
    whole_word: bool = False,
    special_tokens: Literal["template", "all_special_ids"] = "template",
    batch_size: int = 16,
    max_length: int | None = None,
    text_field: str | None = None,
    limit: int | None = None,
    logits_budget: int = _LOGITS_BUDGET,
    progress: bool | None = None,
    return_tokens: bool = False,
    worst: int = 0,
    save_masks: str | Path | None = None,
    masks: str | Path | MaskManifest | None = None,
) -> EvalReport:
    """Mask a corpus, run the model, and score the masked tokens.

    Args:
        model: an ``OnnxMaskedLM`` (or any callable with its signature).
        tokenizer: the model's ``Tokenizer``.
        texts: a list of strings, a text file (one sample per line) or a JSONL file.
        seed: masking seed (see the module docstring for how each mode uses it).
        masking: "per_sample" (default; batch-independent) or "hf" (replays HF's collator).
        mlm_probability, mask_replace_prob, random_replace_prob: as HF's collator (defaults 0.15,
            0.8, 0.1; with ``whole_word`` 0.15, 1.0, 0.0, the only replacement HF allows there).
        whole_word: select whole words, as HF's collator with ``whole_word_mask=True``.
        special_tokens: positions never masked: "template" (the tokenizer's added [CLS]/[SEP], as
            ``run_mlm.py``) or "all_special_ids" (every special id, also an in-text [UNK]/[MASK]).
        batch_size: samples per forward pass.
        max_length: truncate samples to this many tokens (default: the smallest of the model's
            fixed length, the position limit in a config.json beside it, and the tokenizer's
            model_max_length; 512 when none is known).
        text_field: JSONL field holding the text.
        limit: evaluate only the first ``limit`` non-empty samples.
        logits_budget: a forward pass covers at most this many logits (rows x length x vocab, or
            masked tokens x vocab for a model that ``gathers_positions``; at least one row); a batch above
            it runs in several passes. Bounds memory; no effect on results.
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        return_tokens: fill ``report.tokens`` with every masked token's record: [T] arrays ``sample``,
            ``position``, ``input_id``, ``label``, ``loss``, ``rank``, ``top_id`` (see ``EvalReport``).
        worst: fill ``report.worst_tokens`` with the ``worst`` highest-loss tokens and their context
            (keeps only those in memory).
        save_masks: write the masks to this ``.npz`` manifest (see ``masks_file``).
        masks: a manifest (path or ``MaskManifest``) to score instead of drawing masks; it must have been
            made with this tokenizer and data. Its settings override the masking arguments.
    Returns:
        an ``EvalReport``.

    >>> report = evaluate(model, tok, ["The cat sat on the mat."], seed=42)  # doctest: +SKIP
    """
    if isinstance(worst, bool) or not isinstance(worst, (int, np.integer)) or worst < 0:
        raise FillMaskError(f"worst={worst!r} must be a non-negative number of tokens (0: none)")
    if hasattr(model, "check_tokenizer"):
        model.check_tokenizer(tokenizer)
    settings, totals, batches = masked_batches(
        tokenizer, texts, seed=seed, masking=masking, mlm_probability=mlm_probability,
        mask_replace_prob=mask_replace_prob, random_replace_prob=random_replace_prob, whole_word=whole_word,
        special_tokens=special_tokens, batch_size=batch_size,
        max_length=int(max_length or _default_max_length(model, tokenizer)), text_field=text_field, limit=limit,
        progress=progress, masks=masks)
    vocab_hint = getattr(model, "vocab_size", None) or len(tokenizer)
    gathers = bool(getattr(model, "gathers_positions", False))
    recorder = MaskRecorder() if save_masks is not None else None
    collector = TokenCollector(keep_all=bool(return_tokens), worst=int(worst))
    for batch in batches:
        if recorder is not None:
            recorder.add(batch)
        for part in _passes(batch.labels, vocab_hint, logits_budget, gathers):
            scored = _score_rows(model, tokenizer, batch.enc, batch.labels, part, top=collector.active)
            totals.add_batch(batch.indices[part], scored.nll, scored.rank, scored.positions[:, 0], batch.position_of)
            collector.add(batch, part, scored)
    report = totals.report(settings)
    if recorder is not None:
        header = manifest_header(tokenizer, texts, settings, n_samples=report.n_samples, n_rows=0)
        _write_masks(save_masks, recorder.manifest(header, tokenizer.pad_token_id))
    if return_tokens:
        report.tokens = collector.columns()
    if worst:
        report.worst_tokens = collector.worst_records(tokenizer)
    return report


class MaskedBatch(NamedTuple):
    """A padded batch of masked samples: sample indices, the encoded (masked) batch, [b, L] labels."""

    indices: list[int]  # i-th non-empty sample of each row
    enc: Any  # Encoded, input_ids already masked
    labels: np.ndarray  # [b, L] original ids at masked positions, IGNORE_INDEX elsewhere
    position_of: dict[int, int]  # sample index -> place in the source


def masked_batches(
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    seed: int,
    masking: str,
    mlm_probability: float,
    mask_replace_prob: float | None,
    random_replace_prob: float | None,
    whole_word: bool,
    special_tokens: str,
    batch_size: int,
    max_length: int,
    text_field: str | None,
    limit: int | None,
    progress: bool | None,
    masks: str | Path | MaskManifest | None = None,
) -> tuple[dict[str, Any], Totals, Iterator[MaskedBatch]]:
    """Validate the options and return (settings, running totals, a lazy iterator of masked batches).

    The batches are what ``evaluate`` scores; ``compare`` feeds the same batches to two models.
    With ``masks`` (a manifest path or ``MaskManifest``), the manifest is checked against ``tokenizer``
    and ``texts``, its settings replace the masking arguments, and the batches replay its masks.
    """
    manifest = None
    if masks is not None:
        manifest = masks if isinstance(masks, MaskManifest) else load_masks(masks)
        manifest.check(tokenizer, texts)
        m = manifest.settings
        seed, masking, whole_word, special_tokens = m["seed"], m["masking"], m["whole_word"], m["special_tokens"]
        mlm_probability, mask_replace_prob, random_replace_prob = (
            m["mlm_probability"], m["mask_replace_prob"], m["random_replace_prob"])
        batch_size, max_length, limit = m["batch_size"], m["max_length"], m["limit"]
    mask_replace_prob, random_replace_prob = replacement_shares(whole_word, mask_replace_prob, random_replace_prob)
    validate_probabilities(mlm_probability, mask_replace_prob, random_replace_prob)
    check_policy(special_tokens)
    seed = validate_seed(seed)
    if limit is not None and int(limit) < 1:
        raise FillMaskError(f"limit={limit!r} must be at least 1 (or None for the whole corpus)")
    if masking not in ("per_sample", "hf"):
        raise FillMaskError(f"masking={masking!r} is not 'per_sample' or 'hf'")
    if int(batch_size) < 1:
        raise FillMaskError(f"batch_size={batch_size!r} must be at least 1")
    probs = dict(mlm_probability=mlm_probability, mask_replace_prob=mask_replace_prob,
                 random_replace_prob=random_replace_prob)
    mask_args = dict(mask_token_id=tokenizer.mask_token_id, vocab_size=len(tokenizer), whole_word=bool(whole_word),
                     **probs)
    settings = dict(seed=seed, masking=masking, batch_size=batch_size, max_length=max_length,
                    whole_word=bool(whole_word), special_tokens=special_tokens, limit=limit, **probs)
    if manifest is not None:
        settings.update(masks_file=manifest.path, masks_sha256=manifest.sha256)
    totals = Totals()
    samples = non_empty(iter_texts(texts, text_field=text_field), totals, limit)

    def generate() -> Iterator[MaskedBatch]:
        bar = Progress(enabled=sys.stderr.isatty() if progress is None else progress)
        chunk = batch_size * (_WINDOW_BATCHES if masking == "per_sample" else 1)
        mask = ReplayMasker(manifest) if manifest is not None else draw_masker(masking, seed, mask_args)
        while True:
            window = list(islice(samples, chunk))
            if not window:
                break
            rows = tokenizer.encode_rows([t for _, _, t in window], max_length=max_length,
                                         special_tokens=special_tokens)
            indices = [i for i, _, _ in window]
            position_of = {i: position for i, position, _ in window}  # sample index -> place in the source
            totals.counts["n_truncated"] += sum(r.truncated for r in rows)
            totals.tokens += sum(len(r.ids) for r in rows)
            if masking == "per_sample":
                batches = per_sample_batches(indices, rows, tokenizer, totals, batch_size, mask)
            else:
                batches = [hf_batch(indices, rows, tokenizer, totals, mask)]
            for batch_indices, enc, labels in batches:
                yield MaskedBatch(batch_indices, enc, labels, position_of)
                bar.update(len(batch_indices), int(enc.attention_mask.sum()))
        bar.close()
        if isinstance(mask, ReplayMasker):
            mask.finish(totals.counts["n_samples"])

    return settings, totals, generate()
