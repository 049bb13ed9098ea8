"""Shards merge bit for bit: for any shard count, batch size (one for all shards or one per shard) and order of
the partials, ``fm.merge`` of the shards' partial files equals one run over the whole corpus (every figure,
per-sample list, worst token, per-token record and the bootstrap interval) for ``evaluate``,
``pseudo_log_likelihood`` and ``compare``."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN, TableModel
from helpers.shards import figures, merged_over_shards

TOK = fm.Tokenizer.from_dir(GOLDEN / "models" / "bert")
TEXTS = EVAL_TXT.read_text(encoding="utf-8").splitlines()[:60]  # empty lines included
CANDIDATE = TableModel(len(TOK), noise=0.3, seed=1)
REFERENCE = TableModel(len(TOK), seed=1)

split = dict(n=st.integers(1, 7), batch=st.integers(1, 24), seed=st.integers(0, 2**31),
             suffixes=st.lists(st.sampled_from([".json", ".npz"]), min_size=1, max_size=3), data=st.data())
hypothesis_settings = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _order(data, n):
    return data.draw(st.permutations(range(n)), label="merge order")


@hypothesis_settings
@given(**split)
def test_merged_evaluation_shards_equal_one_run_at_any_batch_size(n, batch, seed, suffixes, data):
    whole = fm.evaluate(CANDIDATE, TOK, TEXTS, seed=seed, batch_size=16, worst=9, return_tokens=True)
    merged = merged_over_shards(lambda **kw: fm.evaluate(CANDIDATE, TOK, TEXTS, seed=seed, batch_size=batch, worst=9,
                                                         return_tokens=True, **kw),
                                n, suffixes=suffixes, order=_order(data, n))
    tokens_whole, tokens_merged = whole.tokens, merged.tokens
    assert figures(merged, "batch_size") == figures(whole, "batch_size")
    assert tokens_merged.keys() == tokens_whole.keys()
    for key in tokens_whole:
        assert tokens_merged[key].dtype == tokens_whole[key].dtype
        assert np.array_equal(tokens_merged[key], tokens_whole[key])


@hypothesis_settings
@given(n=st.integers(2, 6), seed=st.integers(0, 2**31), data=st.data())
def test_merged_evaluation_shards_each_at_its_own_batch_size_equal_one_run(n, seed, data):
    batches = data.draw(st.lists(st.integers(1, 24), min_size=n, max_size=n), label="batch size per shard")
    whole = fm.evaluate(CANDIDATE, TOK, TEXTS, seed=seed, batch_size=16, worst=9, return_tokens=True)
    merged = merged_over_shards(lambda shard, **kw: fm.evaluate(CANDIDATE, TOK, TEXTS, seed=seed,
                                                                batch_size=batches[shard[0]], worst=9,
                                                                return_tokens=True, shard=shard, **kw),
                                n, order=_order(data, n))
    assert figures(merged, "batch_size") == figures(whole, "batch_size")
    for key in whole.tokens:
        assert np.array_equal(merged.tokens[key], whole.tokens[key])
    distinct = sorted(set(batches))
    assert merged.settings["batch_size"] == (distinct if len(distinct) > 1 else distinct[0])


@hypothesis_settings
@given(n=st.integers(2, 6), seed=st.integers(0, 2**31), data=st.data())
def test_merged_comparison_shards_each_at_its_own_batch_size_equal_one_run(n, seed, data):
    batches = data.draw(st.lists(st.integers(1, 24), min_size=n, max_size=n), label="batch size per shard")
    whole = fm.compare(CANDIDATE, REFERENCE, TOK, TEXTS, seed=seed, bootstrap=200, bootstrap_seed=seed)
    merged = merged_over_shards(lambda shard, **kw: fm.compare(CANDIDATE, REFERENCE, TOK, TEXTS, seed=seed,
                                                               batch_size=batches[shard[0]], bootstrap=200,
                                                               bootstrap_seed=seed, shard=shard, **kw),
                                n, order=_order(data, n))
    assert figures(merged, "batch_size") == figures(whole, "batch_size")


@hypothesis_settings
@given(**split)
def test_merged_pseudo_log_likelihood_shards_equal_one_run_at_any_token_budget(n, batch, seed, suffixes, data):
    texts = TEXTS[seed % 20 : seed % 20 + 25]
    whole = fm.pseudo_log_likelihood(CANDIDATE, TOK, texts, return_tokens=True)
    merged = merged_over_shards(lambda **kw: fm.pseudo_log_likelihood(CANDIDATE, TOK, texts, token_budget=batch * 40,
                                                                      return_tokens=True, **kw),
                                n, suffixes=suffixes, order=_order(data, n))
    assert figures(merged, "token_budget") == figures(whole, "token_budget")
    for key in whole.tokens:
        assert np.array_equal(merged.tokens[key], whole.tokens[key])


@hypothesis_settings
@given(**split)
def test_merged_comparison_shards_equal_one_run_bootstrap_interval_included(n, batch, seed, suffixes, data):
    whole = fm.compare(CANDIDATE, REFERENCE, TOK, TEXTS, seed=seed, bootstrap=200, bootstrap_seed=seed)
    merged = merged_over_shards(lambda **kw: fm.compare(CANDIDATE, REFERENCE, TOK, TEXTS, seed=seed, batch_size=batch,
                                                        bootstrap=200, bootstrap_seed=seed, **kw),
                                n, suffixes=suffixes, order=_order(data, n))
    assert merged.delta_ci95 is not None
    assert figures(merged, "batch_size") == figures(whole, "batch_size")


@hypothesis_settings
@given(n=st.integers(2, 5), seed=st.integers(0, 2**31), data=st.data())
def test_merged_pseudo_log_likelihood_shards_each_at_its_own_token_budget_equal_one_run(n, seed, data):
    budgets = data.draw(st.lists(st.integers(40, 1000), min_size=n, max_size=n), label="token budget per shard")
    texts = TEXTS[seed % 20 : seed % 20 + 25]
    whole = fm.pseudo_log_likelihood(CANDIDATE, TOK, texts, return_tokens=True)
    merged = merged_over_shards(lambda shard, **kw: fm.pseudo_log_likelihood(
        CANDIDATE, TOK, texts, token_budget=budgets[shard[0]], return_tokens=True, shard=shard, **kw),
        n, order=_order(data, n))
    assert figures(merged, "token_budget") == figures(whole, "token_budget")
    for key in whole.tokens:
        assert np.array_equal(merged.tokens[key], whole.tokens[key])


def test_a_whole_run_saved_as_one_partial_merges_to_itself(tmp_path):
    report = fm.evaluate(CANDIDATE, TOK, TEXTS, seed=3, partial=tmp_path / "all.npz")
    assert fm.merge(tmp_path / "all.npz").to_dict() == {**report.to_dict(), "saved_partial": None}


def test_shards_split_the_samples_and_their_counts_add_up():
    whole = fm.evaluate(CANDIDATE, TOK, TEXTS, seed=0)
    parts = [fm.evaluate(CANDIDATE, TOK, TEXTS, seed=0, shard=f"{i}/3") for i in range(3)]
    for i, part in enumerate(parts):
        assert part.settings["shard"] == f"{i}/3"
        assert all(k % 3 == i for k in part.per_sample["index"])
    for key in ("n_samples", "n_empty", "n_masked", "n_tokens", "n_scored_samples", "n_no_mask_drawn"):
        assert sum(getattr(p, key) for p in parts) == getattr(whole, key), key
