"""The samples of one file's bytes, by ``iter_texts``'s rules, so that a file read by Ray is numbered as ``evaluate``
numbers it: ``(0-based row, text)``, empty rows included.

The driver gets each file whole from ``ray.data.read_binary_files`` and decodes it with ``text.bytes_texts``
(``iter_texts``'s own decoders, on bytes). ``ray.data.read_text``
is not used for paths: it splits with ``str.splitlines``, which also breaks lines at ``\\v``, ``\\f``,
``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029 and keeps a byte-order mark, so its row numbers and texts
differ from ``evaluate``'s; nor ``read_json(lines=True)``, which goes through pandas (blank lines dropped,
``"1990"`` read as a number). Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``; a JSONL file is one
object per line (``.jsonl``, or any file when ``text_field`` is given); ``.csv`` / ``.tsv`` have a header row.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator

from ..errors import DataError
from ..text import bytes_texts

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
        ``text.bytes_texts``: what ``iter_texts`` yields for the same file; a row that is not UTF-8 (or not JSON)
        raises ``DataError``.

    >>> list(file_texts(b"a\\r\\n\\nb", "x.txt"))
    [(0, 'a'), (1, ''), (2, 'b')]
    """
    if file_kind(name, text_field) == "parquet":
        raise DataError(f"{name!r} is a Parquet file; read it with ray.data.read_parquet, not as bytes")
    return bytes_texts(data, name, text_field=text_field)
