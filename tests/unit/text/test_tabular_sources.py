"""CSV, TSV and Parquet corpora: one sample per row of the text column, errors naming the row and column."""

from __future__ import annotations

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT

pa = pytest.importorskip("pyarrow", reason="the test extra installs pyarrow for Parquet input")
import pyarrow.parquet as pq  # noqa: E402


def _lines() -> list[str]:
    return EVAL_TXT.read_text(encoding="utf-8").split("\n")[:40]


def test_a_csv_column_reads_like_the_text_file_of_its_rows(tmp_path):
    import csv

    path = tmp_path / "data.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([[i, t] for i, t in enumerate(_lines())])
    assert list(fm.iter_texts(path)) == list(fm.iter_texts(_lines()))


def test_a_tsv_file_is_split_on_tabs_and_its_column_is_picked_by_text_field(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("body\tlabel\n" + "".join(f"{t}\t{i}\n" for i, t in enumerate(_lines())), encoding="utf-8")
    assert list(fm.iter_texts(path, text_field="body")) == list(fm.iter_texts(_lines()))


def test_a_csv_cell_with_quotes_and_a_newline_is_one_sample(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('text\n"a, ""quoted""\nline"\nplain\n', encoding="utf-8")
    assert [t for _, t in fm.iter_texts(path)] == ['a, "quoted"\nline', "plain"]


def test_a_parquet_column_reads_like_the_text_file_of_its_rows_across_row_groups(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"text": _lines(), "n": list(range(40))}), path, row_group_size=7)
    assert pq.ParquetFile(path).num_row_groups == 6
    assert list(fm.iter_texts(path)) == list(fm.iter_texts(_lines()))


def test_evaluate_on_a_parquet_corpus_equals_evaluate_on_the_same_lines(tmp_path, bert_model, bert_tok):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"text": _lines()}), path, row_group_size=10)
    assert fm.evaluate(bert_model, bert_tok, path).cross_entropy == fm.evaluate(bert_model, bert_tok,
                                                                                 _lines()).cross_entropy


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_missing_column_is_named_with_the_columns_there(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        path.write_text("body\nhello\n", encoding="utf-8")
    else:
        pq.write_table(pa.table({"body": ["hello"]}), path)
    with pytest.raises(fm.DataError, match=r"has no column 'text' \(columns: \['body'\]\).*--text-field"):
        list(fm.iter_texts(path))


def test_a_null_or_non_string_parquet_value_names_its_row_and_column(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"text": ["fine", None]}), path)
    with pytest.raises(fm.DataError, match=r"row 1: column 'text' holds null, not a string"):
        list(fm.iter_texts(path))
    pq.write_table(pa.table({"text": [1, 2]}), path)
    with pytest.raises(fm.DataError, match=r"row 0: column 'text' holds int 1"):
        list(fm.iter_texts(path))


def test_a_short_csv_row_names_its_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id,text\n1,hello\n2\n", encoding="utf-8")
    with pytest.raises(fm.DataError, match="row 2 has 1 fields, no column 'text'"):
        list(fm.iter_texts(path))


def test_a_file_that_is_not_parquet_is_refused_in_one_line(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("not parquet", encoding="utf-8")
    with pytest.raises(fm.InputFileError, match="is not a readable Parquet file"):
        list(fm.iter_texts(path))
