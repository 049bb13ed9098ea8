"""The samples of one file's bytes, by ``iter_texts``'s rules, so that a file read by Ray is numbered as ``evaluate``
numbers it: ``(0-based row, text)``, empty rows included.

The driver gets each file whole from ``ray.data.read_binary_files`` and decodes it here. ``ray.data.read_text``
is not used for paths: it splits with ``str.splitlines``, which also breaks lines at ``\\v``, ``\\f``,
``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029 and keeps a byte-order mark, so its row numbers and texts
differ from ``evaluate``'s; nor ``read_json(lines=True)``, which goes through pandas (blank lines dropped,
``"1990"`` read as a number). Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``; a JSONL file is one
object per line (``.jsonl``, or any file when ``text_field`` is given); ``.csv`` / ``.tsv`` have a header row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import PurePosixPath
from typing import Iterator

from ..errors import DataError

__all__ = ["file_texts", "file_kind"]


def file_kind(name: str, text_field: str | None) -> str:
    """``"parquet"``, ``"csv"``, ``"tsv"``, ``"jsonl"`` or ``"lines"``: how ``iter_texts`` reads the file ``name``.

    Args:
        name: the file's path (its suffix decides).
        text_field: the field or column given, if any (any file but Parquet, CSV and TSV is then JSONL).
    Returns:
        the kind.

    >>> file_kind("a.jsonl", None), file_kind("a.txt", "body"), file_kind("a.txt", None)
    ('jsonl', 'jsonl', 'lines')
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".parquet", ".csv", ".tsv"):
        return suffix[1:]
    return "jsonl" if text_field is not None or suffix == ".jsonl" else "lines"


def file_texts(data: bytes, name: str, *, text_field: str | None = None) -> Iterator[tuple[int, str]]:
    """``(row, text)`` of every sample of a text, JSONL, CSV or TSV file's bytes, empty samples included.

    Args:
        data: the whole file.
        name: its path (picks the format by suffix, as ``iter_texts``; named in errors).
        text_field: the JSONL field or CSV/TSV column holding the text (default ``"text"``).
    Returns:
        an iterator of ``(0-based row, text)``; a row that is not UTF-8 (or not JSON) raises ``DataError``.

    >>> list(file_texts(b"a\\r\\n\\nb", "x.txt"))
    [(0, 'a'), (1, ''), (2, 'b')]
    """
    kind = file_kind(name, text_field)
    if kind == "parquet":
        raise DataError(f"{name!r} is a Parquet file; read it with ray.data.read_parquet, not as bytes")
    if kind in ("csv", "tsv"):
        return _table(data, name, text_field or "text", "," if kind == "csv" else "\t")
    if kind == "jsonl":
        return _jsonl(data, name, text_field or "text")
    return ((number - 1, line) for number, line in _lines(data, name))


def _lines(data: bytes, name: str) -> Iterator[tuple[int, str]]:
    """``(1-based line number, text)``: binary lines (split at ``\\n``), then at a lone ``\\r``; a BOM dropped."""
    number = 0
    for raw in io.BytesIO(data):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{name!r} line {number + 1} is not valid UTF-8 (byte {exc.start}: "
                            f"{raw[exc.start:exc.start + 1]!r}); re-encode the file as UTF-8") from exc
        if number == 0 and line.startswith("\ufeff"):  # a byte-order mark is not text
            line = line[1:]
        line = line[:-1] if line.endswith("\n") else line
        line = line[:-1] if line.endswith("\r") else line
        for piece in line.split("\r"):  # a lone CR ends a line too
            number += 1
            yield number, piece


def _jsonl(data: bytes, name: str, field: str) -> Iterator[tuple[int, str]]:
    for number, line in _lines(data, name):
        if not line.strip():
            yield number - 1, ""
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{name!r} line {number} is not JSON ({exc.msg}); each line must be one JSON "
                            f"object") from exc
        if not isinstance(record, dict) or field not in record:
            keys = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise DataError(f"{name!r} line {number} has no field {field!r} (found {keys}); pick the field with "
                            f"--text-field")
        value = record[field]
        if not isinstance(value, str):
            raise DataError(f"{name!r} line {number}: field {field!r} is {type(value).__name__}, not a string")
        yield number - 1, value


def _table(data: bytes, name: str, field: str, delimiter: str) -> Iterator[tuple[int, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name!r} is not valid UTF-8 ({exc.reason} at byte {exc.start}); re-encode the file as "
                        f"UTF-8") from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(f"{name!r} is empty: a CSV/TSV file needs a header row naming its columns")
        if field not in header:
            raise DataError(f"{name!r} has no column {field!r} (columns: {header}); pick the column with "
                            f"--text-field / text_field=")
        column = header.index(field)
        for index, row in enumerate(reader):
            if column >= len(row):
                raise DataError(f"{name!r} row {index + 1} has {len(row)} fields, no column {field!r} "
                                f"(field {column + 1}); fix the row")
            yield index, row[column]
    except csv.Error as exc:
        raise DataError(f"{name!r} line {reader.line_num} is not valid CSV ({exc}); fix the quoting") from exc
