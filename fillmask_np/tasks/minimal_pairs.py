"""Minimal pairs scored by pseudo-log-likelihood (BLiMP, CrowS-Pairs; Salazar et al. 2020, minicons' scorer).

Each pair's two sentences are scored by ``pseudo_log_likelihood`` (every token masked once, alone or with the
later pieces of its word), all the pairs' sentences in one run, so that the copies of many sentences batch
together. The model "gets a pair right" when PLL(good) > PLL(bad).
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import DataError
from ..limits import check_count
from ..masking import check_long, check_variant, windowing
from ..metrics import PairTotals
from ..report import PairsReport
from ..runtime import check_max_length, check_pair
from ..text import PairRow, PairSource, check_shard, iter_pairs, progress_named, shard_label
from .evaluation import LOGITS_BUDGET
from .partials import check_partial, save_partial
from .pll import pseudo_log_likelihood

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["score_pairs", "pairs_data"]


def score_pairs(
    model: MaskedLM,
    tokenizer: Tokenizer,
    pairs: PairSource,
    *,
    variant: Literal["original", "within_word_l2r"] = "original",
    good_field: str | None = None,
    bad_field: str | None = None,
    group_field: str | None = None,
    special_tokens: Literal["template", "all_special_ids"] = "template",
    max_length: int | None = None,
    token_budget: int = 8192,
    logits_budget: int = LOGITS_BUDGET,
    limit: int | None = None,
    progress: bool | None = None,
    shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None,
    long: Literal["truncate", "window"] = "truncate",
    stride: int | None = None,
) -> PairsReport:
    """Score minimal pairs: the PLL of each pair's good and bad sentence, the accuracy, and per group.

    Args:
        model: an ``OnnxMaskedLM`` or any ``MaskedLM``.
        tokenizer: the model's ``Tokenizer``.
        pairs: a list of ``(good, bad)`` texts or of records, or the path of a ``.jsonl``, ``.csv``, ``.tsv`` or
            ``.parquet`` file, one pair per record (see ``text.iter_pairs``).
        variant: the PLL variant, "original" or "within_word_l2r" (see ``pseudo_log_likelihood``).
        good_field, bad_field: the record fields of the two sentences (default: BLiMP's ``sentence_good`` /
            ``sentence_bad`` or CrowS-Pairs' ``sent_more`` / ``sent_less``, detected).
        group_field: a field grouping the pairs (``UID``, ``linguistics_term``, ``bias_type``): the report gives
            the accuracy and count of each group.
        special_tokens, max_length, token_budget, logits_budget: as ``pseudo_log_likelihood``.
        limit: score only the first ``limit`` pairs.
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        shard: ``(i, n)`` or ``"i/n"``: score only pairs ``k % n == i``; ``merge`` of the n shards' partials
            is the whole run's report, bit for bit.
        partial: write the run's partial file here (``.json`` or ``.npz``), for ``merge``.
        long, stride: a sentence longer than ``max_length``: "truncate" (default) or "window" (every token scored,
            in windows stepped by ``stride``), as ``pseudo_log_likelihood``.
    Returns:
        a ``PairsReport``.

    Examples:
        >>> report = score_pairs(model, tok, [("The cats sleep.", "The cats sleeps.")])  # doctest: +SKIP
        >>> report.accuracy, report.pairs[0]["good_pll"]  # doctest: +SKIP
    """
    check_variant(variant)
    stride = check_long(long, stride)
    shard = check_shard(shard)
    limit = check_count("limit", limit, allow_none=True, hint="or None for every pair")
    check_pair(model, tokenizer)
    max_length = check_count("max_length", max_length, allow_none=True, hint="or None for the model's limit")
    max_length = check_max_length(model, tokenizer, max_length)
    if long == "window":  # the stride checked against the window before any work, and resolved
        stride = windowing(tokenizer, max_length, stride).stride
    data = pairs_data(pairs)
    if partial is not None:  # refused before any work
        partial = check_partial(partial, model, tokenizer, data)
    rows = list(islice(iter_pairs(pairs, good_field=good_field, bad_field=bad_field, group_field=group_field), limit))
    i, n = shard or (0, 1)
    mine = [(k, row) for k, row in enumerate(rows) if k % n == i]
    if rows and not mine:
        raise DataError(f"shard {i}/{n} holds no pair: the data has {len(rows)} pairs; split it into at most "
                        f"{len(rows)} shards")
    settings = dict(variant=variant, special_tokens=special_tokens, max_length=max_length,
                    token_budget=int(token_budget), good_field=good_field, bad_field=bad_field,
                    group_field=group_field, limit=limit, shard=shard_label(shard), long=long, stride=stride)
    totals = PairTotals()
    if mine:
        texts = [text for _, row in mine for text in (row.good, row.bad)]
        with progress_named("pairs", "sentence"):  # two per pair, the total known: the list's length
            pll = pseudo_log_likelihood(model, tokenizer, texts, variant=variant, special_tokens=special_tokens,
                                        max_length=max_length, token_budget=token_budget,
                                        logits_budget=logits_budget, progress=progress, long=long, stride=stride)
        _add_rows(totals, mine, pll.per_sample)
        counts = pll.totals.counts if pll.totals is not None else {}
        totals.counts.update({key: int(counts[key]) for key in ("n_tokens", "n_truncated", "unk_tokens",
                                                                "text_tokens")}, n_pairs=len(mine))
    report = PairsReport.from_totals(totals, variant, settings)
    if partial is not None:
        report.saved_partial = save_partial(partial, report, model, tokenizer, data)
    return report


def pairs_data(pairs: PairSource) -> Any:
    """What stands for ``pairs`` in provenance and partial files: its path, or its items' texts (for a sha256)."""
    if isinstance(pairs, (str, Path)):
        return pairs
    if isinstance(pairs, (list, tuple)):
        return [_as_text(item) for item in pairs]
    return None


def _as_text(item: Any) -> str:
    if isinstance(item, dict):
        return repr(sorted(item.items(), key=lambda kv: str(kv[0])))
    return repr(item)


def _add_rows(totals: PairTotals, mine: list[tuple[int, PairRow]], per_sample: dict[str, list]) -> None:
    """One row per pair from the PLL run's per-sample columns (sample 2j: pair j's good text, 2j + 1: its bad)."""
    by_sample = dict(zip(per_sample["index"], zip(per_sample["pseudo_log_likelihood"],
                                                  per_sample["n_scored_tokens"])))
    for j, (k, row) in enumerate(mine):
        sides = []
        for side, sample in (("good", 2 * j), ("bad", 2 * j + 1)):
            if sample not in by_sample:
                raise DataError(f"pair {k} (record {row.position + 1}): its {side} sentence {getattr(row, side)!r} "
                                f"has no token to score (special tokens only); fix or drop the pair")
            sides.append(by_sample[sample])
        (good_pll, good_n), (bad_pll, bad_n) = sides
        totals.add(dict(index=k, position=row.position, good=row.good, bad=row.bad, group=row.group,
                        good_pll=float(good_pll), bad_pll=float(bad_pll), good_tokens=int(good_n),
                        bad_tokens=int(bad_n)))
