"""``long="window"`` in ``pseudo_log_likelihood`` and ``evaluate``: every token scored once, eval's masks drawn over
the whole sample, and samples that fit in one window scored exactly as ``long="truncate"`` scores them."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, load_golden

LINES = [line for line in EVAL_TXT.read_text(encoding="utf-8").splitlines() if line.strip()]
LONG = [" ".join(LINES[:10]), " ".join(LINES[10:14]), LINES[20]]  # about 110, 50 and 10 tokens


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)


@pytest.mark.parametrize("stride", [1, 5, 30])
@pytest.mark.parametrize("variant", ["original", "within_word_l2r"])
def test_pll_of_samples_that_fit_is_the_truncate_run_exactly(variant, stride):
    model, tok = load_golden("bert")
    options = dict(variant=variant, max_length=32, return_tokens=True)
    truncate = fm.pseudo_log_likelihood(model, tok, LINES[:12], **options)
    window = fm.pseudo_log_likelihood(model, tok, LINES[:12], long="window", stride=stride, **options)
    assert truncate.n_truncated == 0
    _same(window.per_sample, truncate.per_sample)
    _same(window.tokens, truncate.tokens)


@pytest.mark.parametrize("options", [{}, {"whole_word": True}, {"special_tokens": "all_special_ids"}])
def test_eval_of_samples_that_fit_is_the_truncate_run_exactly(options):
    model, tok = load_golden("bert")
    common = dict(max_length=32, seed=4, batch_size=3, return_tokens=True, worst=4, **options)
    truncate = fm.evaluate(model, tok, LINES[:12], **common)
    window = fm.evaluate(model, tok, LINES[:12], long="window", stride=7, **common)
    assert truncate.n_truncated == 0
    _same(window.per_sample, truncate.per_sample)
    _same(window.tokens, truncate.tokens)
    assert window.worst_tokens == truncate.worst_tokens


@pytest.mark.parametrize("stride", [1, 4, 10])
def test_pll_with_windows_scores_every_token_of_a_long_sample_exactly_once(stride):
    model, tok = load_golden("bert")
    report = fm.pseudo_log_likelihood(model, tok, LONG, max_length=12, long="window", stride=stride,
                                      return_tokens=True)
    rows = tok.encode_rows(LONG)
    expected = [(i, p) for i, row in enumerate(rows) for p in np.flatnonzero(row.special_tokens_mask == 0)]
    assert list(zip(report.tokens["sample"].tolist(), report.tokens["position"].tolist())) == expected
    assert report.tokens["token_id"].tolist() == [int(rows[i].ids[p]) for i, p in expected]
    assert report.n_truncated == 0 and report.n_scored_tokens == len(expected)


def test_eval_with_windows_scores_the_masks_drawn_over_the_whole_sample():
    model, tok = load_golden("bert")
    whole = fm.evaluate(model, tok, LONG, max_length=128, seed=2, mlm_probability=0.3, return_tokens=True)
    window = fm.evaluate(model, tok, LONG, max_length=16, long="window", stride=5, seed=2, mlm_probability=0.3,
                         return_tokens=True)
    assert whole.n_truncated == 0  # at 128 every sample fits: its masks are the whole sample's
    for key in ("sample", "position", "label", "input_id"):
        np.testing.assert_array_equal(window.tokens[key], whole.tokens[key], err_msg=key)
    assert window.n_masked == whole.n_masked and window.n_truncated == 0
