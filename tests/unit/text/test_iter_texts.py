"""iter_texts: text files, JSONL and lists, with errors that name the line."""

from __future__ import annotations

import pytest

import fillmask_np as fm


def test_text_file_lines_keep_their_index_and_lose_crlf(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xef\xbb\xbffirst line\r\n\r\nthird\n")
    assert list(fm.iter_texts(path)) == [(0, "first line"), (1, ""), (2, "third")]


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"fine\nalso fine\nbad \xff byte\n")
    with pytest.raises(fm.DataError, match="line 3 is not valid UTF-8"):
        list(fm.iter_texts(path))


def test_jsonl_reads_the_named_field(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a b"}\n\n{"text": "c", "id": 3}\n')
    assert list(fm.iter_texts(path)) == [(0, "a b"), (1, ""), (2, "c")]


def test_jsonl_line_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n{text: b}\n')
    with pytest.raises(fm.DataError, match="line 2 is not JSON"):
        list(fm.iter_texts(path))


def test_jsonl_line_without_the_field_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"body": "a"}\n')
    with pytest.raises(fm.DataError, match=r"line 1 has no field 'content' \(found \['body'\]\)"):
        list(fm.iter_texts(path, text_field="content"))


def test_a_missing_data_file_is_refused(tmp_path):
    with pytest.raises(fm.InputFileError, match="does not exist"):
        fm.iter_texts(tmp_path / "nope.txt")


def test_a_non_string_sample_is_refused():
    with pytest.raises(fm.DataError, match="sample 1 is int"):
        list(fm.iter_texts(["a", 3]))
