"""``text.sample_total``: the progress bar's total, counted up front exactly as ``non_empty`` numbers the run."""

from __future__ import annotations

import pytest

from fillmask_np.text import non_empty, sample_total

TEXTS = ["a", "", "b", "  ", "c", "d", "e", "", "f"]  # 6 non-empty samples


def _run(texts, limit, shard):
    counts = {"n_samples": 0, "n_empty": 0}
    return sum(1 for _ in non_empty(iter(enumerate(texts)), counts, limit, shard))


@pytest.mark.parametrize("limit", [None, 0, 1, 4, 6, 50])
@pytest.mark.parametrize("shard", [None, (0, 1), (0, 2), (1, 2), (2, 3), (4, 5)])
def test_the_total_is_the_number_of_samples_the_run_scores(limit, shard):
    assert sample_total(TEXTS, limit=limit, shard=shard) == _run(TEXTS, limit, shard)


def test_a_text_file_is_counted_without_its_empty_lines(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("one\n\ntwo\r\nthree\rfour\n", encoding="utf-8")
    assert sample_total(path) == 4 and sample_total(str(path), shard=(1, 3)) == 1


def test_a_jsonl_file_is_counted_by_its_field(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"body": "x"}\n{"body": ""}\n{"body": "y"}\n', encoding="utf-8")
    assert sample_total(path, text_field="body") == 2


def test_a_generator_has_no_total_and_is_not_consumed():
    texts = (t for t in TEXTS)
    assert sample_total(texts) is None
    assert next(texts) == "a"


def test_a_parquet_file_totals_its_row_count_from_the_metadata_limit_and_shard_applied(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="the test extra installs pyarrow for Parquet input")
    import pyarrow.parquet as pq

    path = tmp_path / "corpus.parquet"
    pq.write_table(pa.table({"text": [f"sample {k}" for k in range(10)]}), path)
    assert sample_total(path) == 10
    assert sample_total(path, limit=7, shard=(1, 3)) == 2  # rows 1, 4 of the first 7
    assert sample_total(path, shard=(3, 4)) == 2  # rows 3, 7
