"""``fm.score_pairs``: each sentence's PLL is its pseudo-log-likelihood, the accuracy and groups are counted from
those PLLs, BLiMP and CrowS-Pairs fields are detected in JSONL, CSV and Parquet, and shards merge bit for bit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import fillmask_np as fm
from helpers.shards import figures, merged_over_shards

PAIRS = [  # (good, bad, group): golden-English sentences
    ("The cat sat on the mat.", "The cat sit on the mat.", "agreement"),
    ("The dogs are happy.", "The dogs is happy.", "agreement"),
    ("She went home.", "She goed home.", "morphology"),
    ("He is a good man.", "He are a good man.", "agreement"),
    ("They have been there.", "They has been there.", "agreement"),
    ("It was a long time ago.", "It were a long time ago.", "morphology"),
    ("We saw the city.", "We seen the city.", "morphology"),
]


def _blimp_jsonl(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for good, bad, group in PAIRS:
            handle.write(json.dumps({"sentence_good": good, "sentence_bad": bad, "UID": group}) + "\n")
    return path


def test_each_pll_is_the_pseudo_log_likelihood_of_its_sentence(bert_model, bert_tok):
    report = fm.score_pairs(bert_model, bert_tok, [(g, b) for g, b, _ in PAIRS])
    flat = [text for g, b, _ in PAIRS for text in (g, b)]
    pll = fm.pseudo_log_likelihood(bert_model, bert_tok, flat).per_sample
    assert [p["good_pll"] for p in report.pairs] == pll["pseudo_log_likelihood"][0::2]
    assert [p["bad_pll"] for p in report.pairs] == pll["pseudo_log_likelihood"][1::2]
    assert [p["good_tokens"] for p in report.pairs] == pll["n_scored_tokens"][0::2]
    alone = fm.pseudo_log_likelihood(bert_model, bert_tok, [PAIRS[2][1]]).pseudo_log_likelihood
    assert report.pairs[2]["bad_pll"] == pytest.approx(alone, rel=1e-6)


def test_accuracy_counts_the_pairs_whose_good_sentence_has_the_higher_pll(bert_model, bert_tok):
    report = fm.score_pairs(bert_model, bert_tok, [(g, b) for g, b, _ in PAIRS] + [("The cat sat.", "The cat sat.")])
    right = [p["good_pll"] > p["bad_pll"] for p in report.pairs]
    assert report.n_pairs == len(PAIRS) + 1 and report.n_correct == sum(right)
    assert report.accuracy == sum(right) / (len(PAIRS) + 1)
    assert report.n_ties == 1 and report.pairs[-1]["correct"] is False and report.pairs[-1]["delta_pll"] == 0.0
    assert [p["index"] for p in report.pairs] == list(range(len(PAIRS) + 1))
    assert report.groups is None


def test_groups_give_each_values_accuracy_and_count_in_order_of_appearance(bert_model, bert_tok, tmp_path):
    report = fm.score_pairs(bert_model, bert_tok, _blimp_jsonl(tmp_path / "blimp.jsonl"), group_field="UID")
    assert list(report.groups) == ["agreement", "morphology"]
    for name, group in report.groups.items():
        mine = [p for p in report.pairs if p["group"] == name]
        assert group == {"accuracy": sum(p["correct"] for p in mine) / len(mine), "count": len(mine)}
    assert report.to_dict()["groups"] == report.groups


def test_blimp_fields_are_detected_in_jsonl_and_crows_pairs_fields_in_csv_and_tsv(bert_model, bert_tok, tmp_path):
    blimp = fm.score_pairs(bert_model, bert_tok, _blimp_jsonl(tmp_path / "blimp.jsonl"))
    for suffix, delimiter in ((".csv", ","), (".tsv", "\t")):
        path = tmp_path / f"crows{suffix}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(["", "sent_more", "sent_less", "stereo_antistereo", "bias_type"])
            writer.writerows([k, g, b, "stereo", group] for k, (g, b, group) in enumerate(PAIRS))
        crows = fm.score_pairs(bert_model, bert_tok, path, group_field="bias_type")
        assert [p["good_pll"] for p in crows.pairs] == [p["good_pll"] for p in blimp.pairs]
        assert crows.accuracy == blimp.accuracy and list(crows.groups) == ["agreement", "morphology"]


def test_parquet_records_and_named_fields_read_the_same_pairs(bert_model, bert_tok, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="the test extra installs pyarrow for Parquet input")
    import pyarrow.parquet as pq

    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"ok": [g for g, _, _ in PAIRS], "not_ok": [b for _, b, _ in PAIRS]}), path)
    from_parquet = fm.score_pairs(bert_model, bert_tok, path, good_field="ok", bad_field="not_ok")
    records = [{"ok": g, "not_ok": b} for g, b, _ in PAIRS]
    from_records = fm.score_pairs(bert_model, bert_tok, records, good_field="ok", bad_field="not_ok")
    assert from_parquet.pairs == from_records.pairs
    assert from_parquet.pairs[0]["good"] == PAIRS[0][0] and from_parquet.pairs[0]["bad"] == PAIRS[0][1]


def test_the_variant_is_the_pll_variant_of_pseudo_log_likelihood(bert_model, bert_tok):
    pairs = [("The unbelievable story.", "The unbelievable stories.")]
    report = fm.score_pairs(bert_model, bert_tok, pairs, variant="within_word_l2r")
    pll = fm.pseudo_log_likelihood(bert_model, bert_tok, list(pairs[0]), variant="within_word_l2r").per_sample
    assert report.variant == report.settings["variant"] == "within_word_l2r"
    assert [report.pairs[0]["good_pll"], report.pairs[0]["bad_pll"]] == pll["pseudo_log_likelihood"]


def test_limit_scores_the_first_pairs(bert_model, bert_tok):
    report = fm.score_pairs(bert_model, bert_tok, [(g, b) for g, b, _ in PAIRS], limit=3)
    assert report.n_pairs == 3 and [p["good"] for p in report.pairs] == [g for g, _, _ in PAIRS[:3]]


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_merged_shards_equal_one_run_bit_for_bit(bert_model, bert_tok, tmp_path, n):
    data = _blimp_jsonl(tmp_path / "blimp.jsonl")
    whole = fm.score_pairs(bert_model, bert_tok, data, group_field="UID")
    merged = merged_over_shards(lambda **kw: fm.score_pairs(bert_model, bert_tok, data, group_field="UID",
                                                            token_budget=64, **kw),
                                n, suffixes=(".json", ".npz"))
    assert figures(merged, "token_budget") == figures(whole, "token_budget")
