"""``fm.score_variants``: ESM predict.py's three strategies on the golden ESM model, checked against the definitions
written with the model's own logits (one forward, one masked copy, the library's PLL of the mutant text), the
window rule, Spearman's rho and the mutation syntax."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.metrics.rank_correlation import average_ranks, spearman
from fillmask_np.tasks.variant_rows import layout
from helpers import GOLDEN, load_golden

WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]  # 66 residues
MUTATIONS = ["M1D", "A2T", "A11D", "R13T", "A2T:R13T", "A6A", f"{WILD[-1]}{len(WILD)}W"]


@pytest.fixture(scope="module")
def esm() -> tuple[fm.OnnxMaskedLM, fm.Tokenizer]:
    return load_golden("esm")


def _row(tok: fm.Tokenizer, sequence: str) -> np.ndarray:
    """[N + 2] ids: <cls>, one token per residue, <eos> (ESM's vocabulary order)."""
    return np.array([tok.backend.token_to_id(t) for t in ["<cls>", *sequence, "<eos>"]], dtype=np.int64)


def _log_probs(model: fm.OnnxMaskedLM, ids: np.ndarray, read: int, masked: int | None) -> np.ndarray:
    """[V] float64 log-softmax at token position ``read`` of one row, ``masked`` replaced by <mask> first."""
    row = ids.copy()
    if masked is not None:
        row[masked] = 32  # ESM's <mask>
    logits = model.masked_logits(row[None], np.ones_like(row[None]), np.zeros_like(row[None]), np.array([[0, read]]),
                                 pad_token_id=1)[0].astype(np.float64)
    return logits - math.log(np.exp(logits - logits.max()).sum()) - logits.max()


def _by_definition(model, tok, mutation: str, *, masked: bool) -> float:
    ids = _row(tok, WILD)
    total = 0.0
    for part in mutation.split(":"):
        wt, i, mt = part[0], int(part[1:-1]), part[-1]  # token position i: <cls> is 0, residue 1 is 1
        lp = _log_probs(model, ids, i, i if masked else None)
        total += lp[tok.backend.token_to_id(mt)] - lp[tok.backend.token_to_id(wt)]
    return total


@pytest.mark.parametrize("strategy,masked", [("wt-marginals", False), ("masked-marginals", True)])
def test_marginal_scores_are_log_p_mutant_minus_log_p_wild_type_summed_over_positions(esm, strategy, masked):
    model, tok = esm
    report = fm.score_variants(model, tok, WILD, MUTATIONS, strategy=strategy)
    expected = [_by_definition(model, tok, m, masked=masked) for m in MUTATIONS]
    np.testing.assert_allclose(report.scores, expected, atol=1e-5)
    assert report.strategy == strategy and report.mutations == MUTATIONS


def test_wt_marginals_run_one_forward_and_masked_marginals_one_per_distinct_position(esm):
    model, tok = esm
    assert fm.score_variants(model, tok, WILD, MUTATIONS).n_forward_rows == 1
    distinct = {int(p[1:-1]) for m in MUTATIONS for p in m.split(":")}
    assert fm.score_variants(model, tok, WILD, MUTATIONS, strategy="masked-marginals").n_forward_rows == len(distinct)


def test_pseudo_ppl_is_the_pll_of_the_mutant_minus_the_pll_of_the_wild_type(esm):
    model, tok = esm
    report = fm.score_variants(model, tok, WILD, ["A2T:R13T", "A6A"], strategy="pseudo-ppl")
    mutant = WILD[:1] + "T" + WILD[2:12] + "T" + WILD[13:]
    pll = fm.pseudo_log_likelihood(model, tok, [mutant, WILD]).per_sample["pseudo_log_likelihood"]
    assert report.scores[0] == pytest.approx(pll[0] - pll[1], abs=1e-4)
    assert report.scores[1] == 0.0  # a synonymous mutation is the wild type itself


def test_a_double_mutant_scores_the_sum_of_its_singles_under_the_marginal_strategies(esm):
    model, tok = esm
    for strategy in ("wt-marginals", "masked-marginals"):
        a2t, r13t, both = fm.score_variants(model, tok, WILD, ["A2T", "R13T", "A2T:R13T"], strategy=strategy).scores
        assert both == pytest.approx(a2t + r13t, abs=1e-12)


def test_scores_come_in_input_order(esm):
    model, tok = esm
    forward = fm.score_variants(model, tok, WILD, MUTATIONS, strategy="masked-marginals").scores
    backward = fm.score_variants(model, tok, WILD, MUTATIONS[::-1], strategy="masked-marginals").scores
    assert backward == forward[::-1]


def test_offset_names_the_first_residue(esm):
    model, tok = esm
    one_based = fm.score_variants(model, tok, WILD, ["A2T", "R13T"]).scores
    zero_based = fm.score_variants(model, tok, WILD, ["A1T", "R12T"], offset=0).scores
    assert zero_based == one_based


def test_a_protein_that_fits_one_window_scores_the_same_at_any_longer_max_length(esm):
    model, tok = esm
    full = fm.score_variants(model, tok, WILD, MUTATIONS, strategy="masked-marginals")
    exact = fm.score_variants(model, tok, WILD, MUTATIONS, strategy="masked-marginals", max_length=len(WILD) + 2)
    assert full.n_windows == exact.n_windows == 1
    np.testing.assert_allclose(exact.scores, full.scores, atol=1e-6)


def test_a_windowed_residue_is_read_from_its_window_with_the_specials_around_it(esm):
    model, tok = esm
    report = fm.score_variants(model, tok, WILD, ["R13T"], strategy="masked-marginals", max_length=22, stride=10)
    where = layout(len(WILD), 20, 10)
    start, end = where.spans[where.owner[12]]
    window = _row(tok, WILD[start:end])
    lp = _log_probs(model, window, 12 - start + 1, 12 - start + 1)
    assert report.n_windows == len(where.spans) > 1
    assert report.scores[0] == pytest.approx(lp[tok.backend.token_to_id("T")] - lp[tok.backend.token_to_id("R")],
                                             abs=1e-5)


def test_windows_start_every_stride_and_the_last_ends_at_the_last_residue():
    where = layout(50, 20, 12)
    assert where.spans == [(0, 20), (12, 32), (24, 44), (30, 50)]
    assert where.owner.shape == (50,)
    for p, k in enumerate(where.owner):
        start, end = where.spans[k]
        margin = min(p - start, end - 1 - p)
        best = max(min(p - s, e - 1 - p) for s, e in where.spans if s <= p < e)
        assert start <= p < end and margin == best  # read where it is farthest from an edge
    assert where.owner[21] == 1 and where.owner[6] == 0  # 21: 9 from (12, 32)'s edges, 1 from (0, 20)'s


def test_ties_between_windows_go_to_the_earlier_window():
    assert layout(10, 4, 3).owner[3] == 0  # 0 from the edge of both (0, 4) and (3, 7)


def test_spearman_uses_average_ranks_for_ties():
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    # ranks x = [1, 2, 3, 4], y = [1, 2.5, 2.5, 4]: centred dot 4.5, norms sqrt(5 * 4.5)
    assert spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 5.0, 5.0, 9.0])) == pytest.approx(
        4.5 / math.sqrt(5 * 4.5), abs=1e-15)
    assert spearman(np.array([1.0, 2.0]), np.array([7.0, 7.0])) is None


def test_targets_give_the_spearman_correlation_of_the_scores(esm):
    model, tok = esm
    plain = fm.score_variants(model, tok, WILD, MUTATIONS)
    targets = np.arange(len(MUTATIONS), dtype=np.float64)[::-1]
    report = fm.score_variants(model, tok, WILD, MUTATIONS, targets=targets)
    assert plain.spearman is None and report.n_targets == len(MUTATIONS)
    assert report.spearman == spearman(np.array(plain.scores), targets)


def test_truncate_scores_the_first_residues_the_model_sees(esm):
    model, tok = esm
    short = WILD[:20]
    truncated = fm.score_variants(model, tok, WILD, ["A2T", "A11D"], strategy="pseudo-ppl", long="truncate",
                                  max_length=22)
    alone = fm.score_variants(model, tok, short, ["A2T", "A11D"], strategy="pseudo-ppl")
    assert truncated.n_windows == 1 and truncated.settings["long"] == "truncate"
    np.testing.assert_allclose(truncated.scores, alone.scores, atol=1e-9)
