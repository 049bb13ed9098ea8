"""A corpus as masked, padded batches: the one masking and batching path that evaluate and compare share.

Two masking modes (``MaskingConfig.masking``):

* ``"per_sample"`` (default): sample *i* (the i-th non-empty sample, 0-based, as in a dataset whose
  empty lines were dropped) is masked on its own, unpadded, by ``numpy.random.default_rng([seed, i])``;
  results do not depend on batch size, order or bucketing, so samples are sorted by length inside a
  window to cut padding.
* ``"hf"``: replays ``DataCollatorForLanguageModeling`` batch by batch: one
  ``default_rng(seed)`` masks each batch of ``batch_size`` consecutive non-empty samples, padded to
  the batch's longest, exactly as a seeded HF collator would; results depend on ``batch_size``.

A mask manifest replaces the drawing: its settings replace the config and its rows the masks.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..config import MaskingConfig
from ..errors import FillMaskError
from ..limits import option_label
from ..text import Progress, TextSource, iter_texts, non_empty, progress_enabled, sample_total
from ..tokenization import count_unknown
from .batches import MaskedBatch, draw_masker, hf_batch, per_sample_batches, window_batches
from .manifest import MaskManifest, load_masks
from .replay import ReplayMasker

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer
    from .windows import Windowing

__all__ = ["masked_batches", "replay_config", "sample_batches", "settings_of"]

_WINDOW_BATCHES = 16  # per-sample mode sorts this many batches' worth of samples by length


def replay_config(config: MaskingConfig | None, masks: str | Path | MaskManifest | None, tokenizer: Tokenizer,
                  texts: TextSource) -> tuple[MaskingConfig, MaskManifest | None]:
    """The config to mask with and the manifest to replay, if any.

    With ``masks`` (a manifest path or ``MaskManifest``), the manifest is checked against ``tokenizer`` and
    ``texts`` and its recorded settings replace ``config``; else ``config`` is returned as given.
    """
    if masks is None:
        if config is None:
            raise FillMaskError("pass a MaskingConfig or a masks manifest")
        return config, None
    manifest = masks if isinstance(masks, MaskManifest) else load_masks(masks)
    manifest.check(tokenizer, texts)
    return MaskingConfig.from_header(manifest.header), manifest


def settings_of(config: MaskingConfig, manifest: MaskManifest | None) -> dict[str, Any]:
    """The ``settings`` of a report: the config's values (and the manifest replayed, if any)."""
    c = config
    settings: dict[str, Any] = dict(
        seed=c.seed, masking=c.masking, batch_size=c.batch_size, max_length=c.max_length, whole_word=c.whole_word,
        special_tokens=c.special_tokens, limit=c.limit, mlm_probability=c.mlm_probability,
        mask_replace_prob=c.mask_replace_prob, random_replace_prob=c.random_replace_prob)
    if manifest is not None:
        settings.update(masks_file=manifest.path, masks_sha256=manifest.sha256)
    return settings


def masked_batches(tokenizer: Tokenizer, texts: TextSource, config: MaskingConfig, *, counts: dict[str, int],
                   text_field: str | None = None, progress: bool | None = None,
                   manifest: MaskManifest | None = None, shard: tuple[int, int] | None = None,
                   plan: Windowing | None = None, label: str = "eval") -> Iterator[MaskedBatch]:
    """A lazy iterator of the masked batches of ``texts``; ``counts`` (``metrics.EVAL_COUNT_KEYS``) is filled as it goes.

    Args:
        tokenizer: encodes the texts; its mask token and ``len()`` drive the masking.
        texts: a list of strings, a text file or a JSONL file.
        config: the masking settings; ``config.max_length`` must be resolved (not None).
        counts: running counts, updated while the iterator is consumed.
        text_field: JSONL field holding the text.
        progress: show a progress bar on stderr (default: when stderr is a terminal); its total comes from a
            count pass over ``texts`` (``text.sample_total``), made only when the bar is shown.
        manifest: replay this manifest's masks instead of drawing (from ``replay_config``).
        shard: ``(i, n)``: only samples ``k % n == i`` (``text.non_empty``); per-sample masking only.
        plan: ``long="window"``: a sample longer than ``config.max_length`` is masked whole, then scored in these
            windows (``masking.windows``); per-sample masking only. None: samples are truncated.
        label: the progress bar's name (the command).
    Returns:
        an iterator of ``MaskedBatch``; a replay checks, once exhausted, that every manifest row was used.
    """
    if config.max_length is None:
        raise FillMaskError("masked batches need a resolved max_length (MaskingConfig.with_max_length)")
    if shard is not None and (config.masking != "per_sample" or manifest is not None):
        why = ("a masks file replays one whole run" if manifest is not None
               else "HF's collator masks depend on the batch, hence on the shard")
        raise FillMaskError(f"shard {shard[0]}/{shard[1]} needs masks drawn per sample (masking='per_sample', no "
                            f"masks file): {why}")
    total = sample_total(texts, text_field=text_field, limit=config.limit, shard=shard) if progress_enabled(progress) \
        else None
    samples = non_empty(iter_texts(texts, text_field=text_field), counts, config.limit, shard)  # opens the data now
    bar = Progress(enabled=progress, label=label, total=total)
    return _checked(tokenizer, samples, config, counts, bar, manifest, plan)


def sample_batches(tokenizer: Tokenizer, samples: Iterable[tuple[int, int, str]], config: MaskingConfig, *,
                   counts: dict[str, int], progress: bool | None = None,
                   manifest: MaskManifest | None = None, plan: Windowing | None = None) -> Iterator[MaskedBatch]:
    """The masked batches of numbered samples ``(sample index, source position, non-empty text)``.

    ``masked_batches`` numbers a corpus's samples and calls this; a caller that numbered them itself (a worker
    scoring a block of a corpus) calls it directly. ``counts`` is filled as the iterator is consumed, except
    ``n_samples`` and ``n_empty``, which the numbering counts.
    """
    return _checked(tokenizer, iter(samples), config, counts, Progress(enabled=progress, label="eval"), manifest, plan)


def _checked(tokenizer: Tokenizer, samples: Iterator[tuple[int, int, str]], config: MaskingConfig,
             counts: dict[str, int], bar: Progress, manifest: MaskManifest | None,
             plan: Windowing | None) -> Iterator[MaskedBatch]:
    """``_generate`` after the checks that need no data (made now, not when the iterator starts)."""
    if config.max_length is None:
        raise FillMaskError("masked batches need a resolved max_length (MaskingConfig.with_max_length)")
    if plan is not None and (config.masking != "per_sample" or manifest is not None):
        raise FillMaskError(f"{option_label('long', 'window')} masks each whole sample with its own Generator: it "
                            f"needs {option_label('masking', 'per_sample')} and no masks file; use "
                            f"{option_label('long', 'truncate')} for those")
    return _generate(tokenizer, samples, config, counts, bar, manifest, plan)


def _generate(tokenizer: Tokenizer, samples: Iterator[tuple[int, int, str]], config: MaskingConfig,
              counts: dict[str, int], bar: Progress, manifest: MaskManifest | None,
              plan: Windowing | None) -> Iterator[MaskedBatch]:
    chunk = config.batch_size * (_WINDOW_BATCHES if config.masking == "per_sample" else 1)
    drawn = draw_masker(config, mask_token_id=tokenizer.mask_token_id, vocab_size=len(tokenizer))
    mask = ReplayMasker(manifest, drawn) if manifest is not None else drawn
    while True:
        window = list(islice(samples, chunk))
        if not window:
            break
        rows = tokenizer.encode_rows([t for _, _, t in window], max_length=None if plan else config.max_length,
                                     special_tokens=config.special_tokens)
        indices = [i for i, _, _ in window]
        position_of = {i: position for i, position, _ in window}  # sample index -> place in the source
        counts["n_truncated"] += sum(r.truncated for r in rows)
        counts["n_tokens"] += sum(len(r.ids) for r in rows)
        unknown, text = count_unknown(tokenizer, rows)
        counts["unk_tokens"] += unknown
        counts["text_tokens"] += text
        if plan is not None:
            for batch_indices, enc, labels, origins in window_batches(indices, rows, tokenizer, counts,
                                                                      config.batch_size, mask, plan):
                yield MaskedBatch(batch_indices, enc, labels, position_of, origins)
                bar.update(0, int(enc.attention_mask.sum()))
            bar.update(len(window))  # a long sample spans several batches: counted once, when its window is done
            continue
        if config.masking == "per_sample":
            batches = per_sample_batches(indices, rows, tokenizer, counts, config.batch_size, mask)
        else:
            batches = [hf_batch(indices, rows, tokenizer, counts, mask)]
        shown = 0  # samples of the window the bar counted (one with no masked token is in no batch)
        for batch_indices, enc, labels in batches:
            yield MaskedBatch(batch_indices, enc, labels, position_of)
            bar.update(len(batch_indices), int(enc.attention_mask.sum()))
            shown += len(batch_indices)
        bar.update(len(window) - shown)
    bar.close()
    if isinstance(mask, ReplayMasker):
        mask.finish(counts["n_samples"])
