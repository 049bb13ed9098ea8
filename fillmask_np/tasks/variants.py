"""Zero-shot variant effects with a protein masked LM, as ESM's ``examples/variant-prediction/predict.py``
(Meier et al. 2021) defines its three ``--scoring-strategy`` values:

* ``"wt-marginals"``: one forward on the wild type; a mutant scores, summed over its mutated positions,
  ``log p(mutant residue) - log p(wild-type residue)`` at that position;
* ``"masked-marginals"``: the same sum, each mutated position read from the wild type with that position alone
  masked (one forward per distinct position, shared by every mutation that touches it);
* ``"pseudo-ppl"``: PLL(mutant sequence) - PLL(wild type), each PLL summing over every residue its
  log-probability with that residue alone masked.

Residues are pre-split words, one token per residue (``tokenization.residues``); a wild type longer than the model
is scored in windows (``variant_rows.layout``), each residue read in one window.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from ..errors import DataError
from ..limits import check_count, option_label
from ..masking import check_long, windowing
from ..metrics.rank_correlation import spearman
from ..report.variants_report import VariantReport
from ..runtime import check_max_length, check_pair
from ..text import check_shard, shard_label
from ..tokenization.residues import residue_ids, residue_template
from .evaluation import LOGITS_BUDGET
from .mutations import Mutation, parse_mutations
from .partials import check_partial
from .variant_shards import save_variant_partial
from .variant_rows import Layout, RowPlan, layout, run_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer
    from ..tokenization.residues import ResidueTemplate

__all__ = ["STRATEGIES", "score_variants"]

STRATEGIES = ("wt-marginals", "masked-marginals", "pseudo-ppl")
Strategy = Literal["wt-marginals", "masked-marginals", "pseudo-ppl"]


def score_variants(
    model: MaskedLM,
    tokenizer: Tokenizer,
    wild_type: str,
    mutations: Sequence[str],
    *,
    strategy: Strategy = "wt-marginals",
    offset: int = 1,
    targets: Sequence[float] | np.ndarray | None = None,
    max_length: int | None = None,
    long: Literal["window", "truncate"] = "window",
    stride: int | None = None,
    token_budget: int = 8192,
    logits_budget: int = LOGITS_BUDGET,
    shard: tuple[int, int] | str | None = None,
    partial: str | Path | None = None,
    progress: bool | None = None,
) -> VariantReport:
    """Score each mutation of ``wild_type`` (higher: the model prefers the mutant more).

    Args:
        model: an ``OnnxMaskedLM``, ``NumpyMaskedLM`` or any ``MaskedLM`` over residues (ESM-2 ...).
        tokenizer: its tokenizer; it must read each residue as one token.
        wild_type: the protein, one letter per residue.
        mutations: strings like ``"A24P"`` or ``"A24P:D30N"`` (``:`` joins substitutions of one mutant).
        strategy: "wt-marginals" (default), "masked-marginals" or "pseudo-ppl" (see the module docstring).
        offset: the number written for the first residue (1: positions are 1-based).
        targets: measured values, one per mutation (``DMS_score``): the report gets Spearman's rho against them.
        max_length: the longest row fed to the model, specials included (default: the model's limit).
        long: a wild type longer than the model: "window" (default; every residue scored in overlapping windows,
            as ``evaluate``'s ``long="window"``) or "truncate" (its first residues only; a mutation beyond them
            is refused).
        stride: with ``long="window"``: residues between window starts, 1..W (default W // 2).
        token_budget: at most this many rows x length per model call.
        logits_budget: at most this many logits per model call.
        shard: ``(i, n)`` or ``"i/n"``: score only the mutations k with ``k % n == i`` (``report.indices``);
            ``merge`` of the n shards' partials is the report of the whole run.
        partial: write the run's partial file here (``.json`` or ``.npz``), for ``merge``.
        progress: a progress bar of the model rows run, on stderr (default: when stderr is a terminal).
    Returns:
        a ``VariantReport``: ``scores`` in input order, ``spearman`` when ``targets`` were given.

    >>> score_variants(model, tok, "MKTAYIAKQR", ["K2A", "K2A:Q9E"], strategy="masked-marginals").scores  # doctest: +SKIP
    """
    if strategy not in STRATEGIES:
        raise DataError(f"{option_label('strategy', strategy)} is not one of {list(STRATEGIES)} (ESM predict.py's "
                        f"--scoring-strategy)")
    check_pair(model, tokenizer)
    if not isinstance(wild_type, str) or not wild_type.strip():
        raise DataError(f"wild_type={wild_type!r} is not a protein sequence; pass the residues as one string")
    wild_type = "".join(wild_type.split())
    wt_ids = residue_ids(tokenizer, wild_type, what="wild type")
    parsed = parse_mutations(mutations, wild_type, offset=offset)
    if not parsed:
        raise DataError("no mutation to score; pass mutations like ['A24P', 'A24P:D30N']")
    target_values = _targets(targets, len(parsed))
    shard = check_shard(shard)
    chosen = [k for k in range(len(parsed)) if shard is None or k % shard[1] == shard[0]]
    if not chosen:
        raise DataError(f"shard {shard_label(shard)} holds no mutation of {len(parsed)}; use fewer shards")
    if partial is not None:  # refused before any work
        partial = check_partial(partial, model, tokenizer, None)
    token_budget = check_count("token_budget", token_budget, hint="rows x length per model call")
    logits_budget = check_count("logits_budget", logits_budget, hint="logits held at once")
    stride = check_long(long, stride)
    template = residue_template(tokenizer)
    letter_ids = _mutant_ids(tokenizer, wild_type, wt_ids, parsed, list(mutations))
    max_length = check_max_length(model, tokenizer, check_count("max_length", max_length, allow_none=True,
                                                                hint="or None for the model's limit"))
    if long == "window":
        cut = windowing(tokenizer, max_length, stride)
        width, stride = cut.width, cut.stride
    else:
        width = max_length - template.n_special
        _check_reach(parsed, list(mutations), width, int(offset))
        wt_ids = wt_ids[:width]
    where = layout(len(wt_ids), width, width if stride is None else stride)
    budgets: dict[str, Any] = dict(token_budget=token_budget, logits_budget=logits_budget, progress=progress)
    all_texts, texts, parsed = list(mutations), [mutations[k] for k in chosen], [parsed[k] for k in chosen]
    if strategy == "pseudo-ppl":
        scores, rows = _pseudo_ppl(model, tokenizer, template, wt_ids, letter_ids, parsed, where, budgets)
    else:
        scores, rows = _marginals(model, tokenizer, template, wt_ids, letter_ids, parsed, where, budgets,
                                  masked=strategy == "masked-marginals")
    shard_targets = None if target_values is None else target_values[chosen]
    rho = spearman(np.asarray(scores), shard_targets, what="targets") if shard_targets is not None else None
    settings = dict(strategy=strategy, offset=int(offset), max_length=max_length, long=long, window_residues=width,
                    stride=stride, token_budget=token_budget, shard=shard_label(shard))
    singles = [(m[0].position, m[0].mutant, s) for m, s in zip(parsed, scores) if len(m) == 1]
    report = VariantReport(strategy=strategy, mutations=texts, scores=scores, sequence_length=len(wild_type),
                           offset=int(offset), n_forward_rows=rows, n_windows=len(where.spans), spearman=rho,
                           n_targets=0 if shard_targets is None else len(shard_targets), settings=settings,
                           wild_type=wild_type, singles=singles, indices=chosen)
    if partial is not None:
        report.saved_partial = save_variant_partial(partial, report, model, tokenizer, all_texts, target_values)
    return report


def _targets(targets: Sequence[float] | np.ndarray | None, count: int) -> np.ndarray | None:
    """The targets as [M] float64, one per mutation, or None."""
    if targets is None:
        return None
    try:
        values = np.asarray(targets, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"targets must be numbers, one per mutation ({exc})") from exc
    if values.shape != (count,):
        raise DataError(f"targets has shape {values.shape}, not one value per mutation ({count})")
    return values


def _check_reach(parsed: list[tuple[Mutation, ...]], texts: list[str], width: int, offset: int) -> None:
    """With ``long="truncate"``: refuse a mutation beyond the first ``width`` residues, the ones the model sees."""
    for text, subs in zip(texts, parsed):
        for sub in subs:
            if sub.position >= width:
                raise DataError(f"mutation {text!r} is at residue {sub.position + offset}, beyond the {width} "
                                f"residues the model sees with {option_label('long', 'truncate')}; score it with "
                                f"{option_label('long', 'window')}")


def _mutant_ids(tokenizer: Tokenizer, wild_type: str, wt_ids: np.ndarray, parsed: list[tuple[Mutation, ...]],
                texts: list[str]) -> dict[str, int]:
    """Token id of every residue letter used (the wild type's and each mutant's), naming a mutation's bad residue."""
    table = dict(zip(wild_type, wt_ids.tolist()))
    for text, subs in zip(texts, parsed):
        for sub in subs:
            if sub.mutant not in table:
                table[sub.mutant] = int(residue_ids(tokenizer, sub.mutant, what=f"mutation {text!r}")[0])
    return table


def _marginals(model: MaskedLM, tokenizer: Tokenizer, template: ResidueTemplate, wt_ids: np.ndarray,
               letter_ids: dict[str, int], parsed: list[tuple[Mutation, ...]], where: Layout,
               budgets: dict[str, Any], *, masked: bool) -> tuple[list[float], int]:
    """wt- or masked-marginals: (scores, rows run)."""
    positions = np.array(sorted({sub.position for subs in parsed for sub in subs}), dtype=np.int64)  # [P]
    if masked:  # one row per distinct position, that position masked
        order = np.arange(len(positions))
        plan = RowPlan(np.zeros(len(positions), dtype=np.int64), where.owner[positions], positions, order, positions)
    else:  # one unmasked row per window holding a mutated position
        windows = np.unique(where.owner[positions])  # [K]
        positions = positions[np.argsort(where.owner[positions], kind="stable")]  # grouped by window
        plan = RowPlan(np.zeros(len(windows), dtype=np.int64), windows, np.full(len(windows), -1, dtype=np.int64),
                       np.searchsorted(windows, where.owner[positions]), positions)
    log_probs = run_rows(model, tokenizer, template, [wt_ids], where, plan, labels=False,
                         **budgets)  # [P, V]
    row_of = {int(p): k for k, p in enumerate(positions)}
    scores = [math.fsum(log_probs[row_of[s.position], letter_ids[s.mutant]] - log_probs[row_of[s.position],
                                                                                   letter_ids[s.wild_type]]
                        for s in subs) for subs in parsed]
    return scores, len(plan.row_seq)


def _pseudo_ppl(model: MaskedLM, tokenizer: Tokenizer, template: ResidueTemplate, wt_ids: np.ndarray,
                letter_ids: dict[str, int], parsed: list[tuple[Mutation, ...]], where: Layout,
                budgets: dict[str, Any]) -> tuple[list[float], int]:
    """PLL(mutant) - PLL(wild type): (scores, rows run); each distinct sequence is scored once."""
    keys = [tuple(sorted((s.position, s.mutant) for s in subs if s.mutant != s.wild_type)) for subs in parsed]
    distinct = list(dict.fromkeys([()] + keys))  # the wild type first
    sequences = []
    for key in distinct:
        ids = wt_ids.copy()
        for index, mutant in key:
            ids[index] = letter_ids[mutant]
        sequences.append(ids)
    n = len(wt_ids)
    row_seq = np.repeat(np.arange(len(sequences), dtype=np.int64), n)  # [S * N]
    row_mask = np.tile(np.arange(n, dtype=np.int64), len(sequences))  # [S * N]
    rows = np.arange(len(row_seq), dtype=np.int64)
    plan = RowPlan(row_seq, where.owner[row_mask], row_mask, rows, row_mask)
    token_lp = run_rows(model, tokenizer, template, sequences, where, plan, labels=True,
                        **budgets).reshape(len(sequences), n)  # [S, N]
    pll = {key: math.fsum(token_lp[k]) for k, key in enumerate(distinct)}
    return [pll[key] - pll[()] for key in keys], len(row_seq)
