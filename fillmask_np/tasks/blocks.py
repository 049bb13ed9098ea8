"""Score a corpus block by block: the masked batches of some samples into ``metrics.Totals``, and its report.

``evaluate`` scores the batches of a whole corpus (or one shard of it) with ``score_batches``; a worker
scoring a block of samples numbered elsewhere (``fillmask_np.distributed``) calls ``score_samples``.
Both give per-sample figures that do not depend on the block, so ``Totals.merge`` of the blocks and
``eval_report`` give ``evaluate``'s report bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from ..config import MaskingConfig, masking_config
from ..errors import FillMaskError
from ..limits import check_count
from ..masking import sample_batches, settings_of
from ..metrics import TokenCollector, Totals, passes, score_rows, warn_unknown
from ..report import EvalReport
from ..runtime import check_max_length, check_pair
from ..text import shard_label

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import MaskedBatch, MaskManifest, MaskRecorder, Windowing
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["LOGITS_BUDGET", "eval_config", "eval_report", "score_batches", "score_samples"]

LOGITS_BUDGET = 1 << 24  # default cap on rows x length x vocab of one forward pass (64 MiB of float32)


def eval_config(model: MaskedLM, tokenizer: Tokenizer, config: MaskingConfig | None = None,
                **masking: Any) -> MaskingConfig:
    """The masking settings ``evaluate`` would use: validated, ``max_length`` resolved for the model and tokenizer.

    Args:
        model, tokenizer: as ``evaluate``.
        config, **masking: a ``MaskingConfig``, or its fields as keywords.
    Returns:
        a ``MaskingConfig`` with ``max_length`` set.

    >>> eval_config(model, tok, seed=3).max_length  # doctest: +SKIP
    128
    """
    check_pair(model, tokenizer)
    config = masking_config(config, masking)
    return config.with_max_length(check_max_length(model, tokenizer, config.max_length))


def score_samples(model: MaskedLM, tokenizer: Tokenizer, samples: Iterable[tuple[int, int, str]],
                  config: MaskingConfig, *, logits_budget: int = LOGITS_BUDGET,
                  collector: TokenCollector | None = None, plan: Windowing | None = None) -> Totals:
    """Mask and score numbered samples as ``evaluate`` does: the totals of one block of a corpus.

    Args:
        model, tokenizer: as ``evaluate``.
        samples: ``(sample index, source position, non-empty text)``; the index is the sample's number in the
            whole corpus (its i-th non-empty sample), which draws its masks (per-sample masking).
        config: from ``eval_config``.
        logits_budget: as ``evaluate``.
        collector: keeps the block's per-token records and worst tokens (``evaluate``'s ``return_tokens`` /
            ``worst``), when given.
        plan: the windows of ``long="window"`` (``masking.windowing``); None truncates, as ``evaluate``.
    Returns:
        the ``Totals`` of these samples (``counts["n_samples"]`` of them, no empty one).

    >>> totals = score_samples(model, tok, [(0, 1, "The cat sat.")], eval_config(model, tok))  # doctest: +SKIP
    """
    if config.masking != "per_sample" or config.max_length is None:
        raise FillMaskError(f"score_samples needs per-sample masking and a resolved max_length (eval_config); got "
                            f"masking={config.masking!r}, max_length={config.max_length!r}")
    totals = Totals()

    def counted() -> Iterator[tuple[int, int, str]]:
        for sample in samples:
            totals.counts["n_samples"] += 1
            yield sample

    batches = sample_batches(tokenizer, counted(), config, counts=totals.counts, progress=False, plan=plan)
    collector = collector or TokenCollector(keep_all=False, worst=0)
    score_batches(model, tokenizer, batches, totals, collector, None, logits_budget=logits_budget)
    return totals


def eval_report(totals: Totals, config: MaskingConfig, manifest: MaskManifest | None = None, *,
                shard: tuple[int, int] | None = None, plan: Windowing | None = None) -> EvalReport:
    """The ``EvalReport`` of ``totals`` scored with ``config`` (``manifest``: the masks replayed, if any).

    Args:
        totals: one run's, or ``Totals.merge`` of blocks.
        config: the masking settings (``eval_config``).
        manifest: the masks file replayed, if any.
        shard: the shard ``(i, n)`` the totals cover; None for the whole corpus.
        plan: the windows of ``long="window"``; None for ``long="truncate"``.
    Returns:
        an ``EvalReport``; its ``settings`` are ``evaluate``'s. Warns (``UnknownTokensWarning``) when more than
        ``config.UNK_SHARE_LIMIT`` of the text's tokens are the tokenizer's unknown token.
    """
    long = {"long": "truncate" if plan is None else "window", "stride": None if plan is None else plan.stride}
    report = EvalReport.from_totals(totals, {**settings_of(config, manifest), **long, "shard": shard_label(shard)})
    warn_unknown(totals.counts)
    return report


def score_batches(model: MaskedLM, tokenizer: Tokenizer, batches: Iterable[MaskedBatch], totals: Totals,
                  collector: TokenCollector, recorder: MaskRecorder | None, *, logits_budget: int) -> None:
    """Score every masked batch into ``totals`` (and ``collector``; ``recorder`` keeps the masks, when given)."""
    logits_budget = check_count("logits_budget", logits_budget, hint="logits a forward pass may hold")
    vocab_hint = model.vocab_size or len(tokenizer)
    for batch in batches:
        if recorder is not None:
            recorder.add(batch)
        samples = list(dict.fromkeys(batch.indices))  # a sample's windows (long="window") share one row of totals
        slot = np.array([samples.index(i) for i in batch.indices]) if len(samples) < len(batch.indices) \
            else np.arange(len(samples))  # [b] row -> its sample's place in ``samples``
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # each pass's (nll, rank, slot) [M]
        for part in passes(batch.labels, vocab_hint, logits_budget, model.gathers_positions):
            scored = score_rows(model, tokenizer, batch.enc, batch.labels, part, top=collector.active,
                                top5=collector.top5)
            found.append((scored.nll, scored.rank, slot[part][scored.positions[:, 0]]))
            collector.add(batch, part, scored)
        nll, rank, row = (np.concatenate(column) for column in zip(*found))  # [M] each, over the batch
        totals.add_batch(samples, nll, rank, row, batch.position_of)
