"""Pseudo-log-likelihood and pseudo-perplexity of a masked LM on a corpus (Salazar et al. 2020).

Every scored token of a sample is masked once, alone, in its own copy of the sample (the mask token,
never a random or kept token), and the model's log-probability of the original token there is its
score. PLL(sample) = the sum of its tokens' scores; the corpus pseudo-perplexity is
``exp(-sum of PLL / number of scored tokens)``.

Variants (named in every report):

* ``"original"``: only the scored token is masked;
* ``"within_word_l2r"`` (Kauf & Ivanova 2023, minicons' ``PLL_metric="within_word_l2r"``): the later
  sub-word pieces of the same word are masked too; words are the tokenizer's word ids (Hugging Face's
  ``word_ids()``: WordPiece splits on whitespace and punctuation, byte-level BPE keeps a leading space
  with its word).

Scored tokens: every token the tokenizer did not add (``special_tokens="template"``, the default): in-text
``[UNK]`` and special tokens written in the text are scored, as minicons and Salazar et al. score all
but ``[CLS]``/``[SEP]``; ``"all_special_ids"`` also leaves out every special id wherever it occurs.

Long samples: ``long="window"`` scores every token of a sample longer than ``max_length`` once, in overlapping
windows of ``max_length`` tokens (``masking.windows``); the default ``"truncate"`` scores its first tokens only.

Speed: the copies of many samples (sorted by length inside a window) are packed into batches of at most
``token_budget`` rows x padded length, and only the scored rows are log-softmaxed. A model rewritten by
``fillmask-np optimize`` (``gathers_positions``) computes the LM head on those rows only; any other
model computes logits at every position of every copy, in batches bounded by ``logits_budget`` too (each padded
to its own longest copy: the least padding, whose logits such a model also computes).
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..config import check_policy
from ..errors import FillMaskError
from ..limits import check_count
from ..masking import CopyBatch, Sample, Windowing, check_long, check_variant, pack, windowing
from ..metrics import PLLTotals, warn_unknown
from ..numerics import row_nll_and_rank
from ..report import PLLReport
from ..runtime import check_max_length, check_pair
from ..text import (Progress, TextSource, check_shard, iter_texts, non_empty, progress_enabled, sample_total,
                    shard_label)
from ..tokenization import count_unknown
from .evaluation import LOGITS_BUDGET
from .partials import check_partial, save_partial

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["pseudo_log_likelihood", "pseudo_perplexity"]

_TOKEN_BUDGET = 8192  # default rows x padded length of one batch of copies
_WINDOW_SAMPLES = 256  # samples sorted by length together


def pseudo_log_likelihood(
    model: MaskedLM,
    tokenizer: Tokenizer,
    texts: TextSource,
    *,
    variant: Literal["original", "within_word_l2r"] = "original",
    special_tokens: Literal["template", "all_special_ids"] = "template",
    max_length: int | None = None,
    token_budget: int = _TOKEN_BUDGET,
    logits_budget: int = LOGITS_BUDGET,
    text_field: str | None = None,
    limit: int | None = None,
    return_tokens: bool = False,
    progress: bool | None = None,
    shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None,
    long: Literal["truncate", "window"] = "truncate",
    stride: int | None = None,
) -> PLLReport:
    """Pseudo-log-likelihood of every sample and the corpus pseudo-perplexity.

    Args:
        model: an ``OnnxMaskedLM`` or any ``MaskedLM``.
        tokenizer: the model's ``Tokenizer``.
        texts: a list of texts, or the path of a text file (one sample per line), JSONL, CSV/TSV or Parquet
            file (see ``iter_texts``). One bare string is a path, never a text: score one text as ``[text]``. Empty samples are skipped.
        variant: "original" (each token masked alone) or "within_word_l2r" (with the later pieces of its word).
        special_tokens: tokens never scored: "template" (those the tokenizer added) or "all_special_ids".
        max_length: truncate samples to this many tokens (default as ``evaluate``: the model's or tokenizer's limit).
        token_budget: at most this many rows x padded length per batch of copies (at least one row). Bounds
            memory and sets the batch size; no effect on results beyond float32 rounding.
        logits_budget: at most this many logits per forward pass (rows x length x vocab; scored rows x vocab
            for a model that ``gathers_positions``).
        text_field: JSONL field holding the text.
        limit: score only the first ``limit`` non-empty samples.
        return_tokens: also return every scored token's log-probability and rank (``PLLReport.tokens``).
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        shard: ``(i, n)`` or ``"i/n"``: score only samples ``k % n == i``; ``merge`` of the n shards' partials
            is the whole corpus's report, bit for bit.
        partial: write the run's partial file here (``.json`` or ``.npz``), for ``merge``; see ``evaluate``.
        long: a sample longer than ``max_length``: "truncate" (default: its first tokens only) or "window" (every
            token, scored once in overlapping windows of ``max_length`` tokens; see ``masking.windows``).
        stride: with ``long="window"``: tokens between window starts, 1 to the window's text tokens (default half).
    Returns:
        a ``PLLReport``; its ``pseudo_perplexity`` is ``exp(-pseudo_log_likelihood / n_scored_tokens)``.

    >>> report = pseudo_log_likelihood(model, tok, ["The cat sat on the mat."])  # doctest: +SKIP
    >>> report.per_sample["pseudo_log_likelihood"]  # doctest: +SKIP
    """
    check_variant(variant)
    check_policy(special_tokens)
    stride = check_long(long, stride)
    shard = check_shard(shard)
    token_budget = check_count("token_budget", token_budget, hint="tokens scored per model call")
    logits_budget = check_count("logits_budget", logits_budget, hint="logits held at once")
    limit = check_count("limit", limit, allow_none=True, hint="or None for the whole corpus")
    check_pair(model, tokenizer)
    max_length = check_count("max_length", max_length, allow_none=True, hint="or None for the model's limit")
    max_length = check_max_length(model, tokenizer, max_length)
    plan = windowing(tokenizer, max_length, stride) if long == "window" else None
    if partial is not None:  # refused before any work
        partial = check_partial(partial, model, tokenizer, texts)
    settings = dict(variant=variant, special_tokens=special_tokens, max_length=max_length,
                    token_budget=int(token_budget), masking="mask token only, one copy per scored token",
                    limit=limit, shard=shard_label(shard), long=long, stride=None if plan is None else plan.stride)
    totals = PLLTotals(return_tokens=return_tokens)
    samples = non_empty(iter_texts(texts, text_field=text_field), totals.counts, limit, shard)
    vocab = model.vocab_size or len(tokenizer)
    gathers = model.gathers_positions
    total = sample_total(texts, text_field=text_field, limit=limit, shard=shard) if progress_enabled(progress) else None
    bar = Progress(enabled=progress, label="pppl", total=total)
    while True:
        window = list(islice(samples, _WINDOW_SAMPLES))
        if not window:
            break
        prepared = _prepare(tokenizer, window, totals, variant=variant, special_tokens=special_tokens,
                            max_length=max_length, plan=plan)
        prepared.sort(key=lambda s: len(s.ids))
        for batch in pack(prepared, mask_token_id=tokenizer.mask_token_id, pad_token_id=tokenizer.pad_token_id,
                          token_budget=_pack_budget(int(token_budget), int(logits_budget), vocab, gathers)):
            step = max(1, int(logits_budget) // (vocab if gathers else vocab * batch.input_ids.shape[1]))
            for start in range(0, len(batch.labels), step):
                part = slice(start, start + step)
                log_prob, rank = _score(model, tokenizer, batch, part)
                totals.add(batch.samples[part], batch.origins[part], batch.labels[part], log_prob, rank)
            bar.update(0, len(batch.labels))
        totals.close_window()  # every copy of the window's samples is scored
        bar.update(len(window), 0)
    bar.close()
    report = PLLReport.from_totals(totals, variant, settings)
    warn_unknown(totals.counts)
    if partial is not None:
        report.saved_partial = save_partial(partial, report, model, tokenizer, texts)
    return report


def pseudo_perplexity(model: MaskedLM, tokenizer: Tokenizer, texts: TextSource, **options: Any) -> PLLReport:
    """The same as ``pseudo_log_likelihood`` (same keyword options, same report); read ``.pseudo_perplexity``.

    >>> pseudo_perplexity(model, tok, "eval.txt", variant="within_word_l2r").pseudo_perplexity  # doctest: +SKIP
    """
    return pseudo_log_likelihood(model, tokenizer, texts, **options)


def _prepare(tokenizer: Tokenizer, window: list[tuple[int, int, str]], totals: PLLTotals, *, variant: str,
             special_tokens: Any, max_length: int, plan: Windowing | None) -> list[Sample]:
    """Encode a window of ``(sample index, source position, text)``; the samples with a token to score (with
    ``plan``, a sample longer than ``max_length`` gives one per window, each scoring the tokens it owns)."""
    texts = [text for _, _, text in window]
    rows = tokenizer.encode_rows(texts, max_length=None if plan else max_length, special_tokens=special_tokens,
                                 word_ids=variant == "within_word_l2r")
    words = [row.word_ids for row in rows]  # None for the original variant
    unknown, text = count_unknown(tokenizer, rows)
    totals.counts["unk_tokens"] += unknown
    totals.counts["text_tokens"] += text
    prepared = []
    for (index, position, _), row, row_words in zip(window, rows, words):
        totals.counts["n_tokens"] += len(row.ids)
        totals.counts["n_truncated"] += bool(row.truncated)
        totals.position_of[index] = position
        scored = row.special_tokens_mask == 0  # [L]
        if not scored.any():
            totals.counts["n_unscorable"] += 1
            continue
        if row_words is not None:
            row_words = np.where(scored, row_words, -1)  # an unscored token never joins a word
        if plan is None or len(row.ids) <= max_length:
            prepared.append(Sample(index, row.ids, row.type_ids, np.flatnonzero(scored), row_words))
            continue
        for part in plan.windows(len(row.ids)):  # [Lw] row positions each
            targets = np.flatnonzero(scored[part.take] & part.owned)
            if len(targets):
                prepared.append(Sample(index, row.ids[part.take], row.type_ids[part.take], targets,
                                       None if row_words is None else row_words[part.take], part.take))
    return prepared


def _pack_budget(token_budget: int, logits_budget: int, vocab: int, gathers: bool) -> int:
    """Rows x padded length of one batch of copies: ``token_budget``, and for a model computing logits at every
    position also at most the ``logits_budget`` of one pass, so that each pass is its own batch, padded only to
    its own longest copy (the copies are sorted by length), not to the longest of a larger batch."""
    return token_budget if gathers else max(1, min(token_budget, logits_budget // vocab))


def _score(model: MaskedLM, tokenizer: Tokenizer, batch: CopyBatch,
           part: slice) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``part`` of a batch of copies: ([r] float64 log-prob of each original token, [r] rank)."""
    positions = batch.positions[part] - np.array([part.start, 0])  # [r, 2], rows rebased to the part
    rows = model.masked_logits(batch.input_ids[part], batch.attention_mask[part], batch.token_type_ids[part],
                               positions, pad_token_id=tokenizer.pad_token_id)  # [r, V]
    labels = batch.labels[part]  # [r]
    if labels.max() >= rows.shape[-1]:
        raise FillMaskError(f"token id {int(labels.max())} is outside the model's {rows.shape[-1]} logits; "
                            f"the tokenizer does not belong to this model")
    nll, rank = row_nll_and_rank(rows, labels)  # [r, V] -> [r]
    return -nll, rank
