"""Stream evaluation texts: a list of strings, a text file (one sample per line), JSONL, CSV/TSV or Parquet.

Every source yields ``(position, text)`` with ``position`` the 0-based place of the sample in the
source (line number - 1 for files), empty samples included: ``evaluate`` skips and counts those, and
numbers the rest 0, 1, 2, ... for per-sample masking.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Set
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Union

from ..errors import DataError, InputFileError, first_line
from .inputs import check_input_file
from .tables import Readable, csv_texts, parquet_texts

__all__ = ["bytes_texts", "iter_texts", "stdin_texts", "TextSource"]

TextSource = Union[str, Path, Iterable[str]]


def _lines(path: Readable, name: str) -> Iterator[tuple[int, str]]:
    """Decode a file (or its bytes) line by line (see ``_decode``)."""
    try:
        handle = path.open("rb") if isinstance(path, Path) else path
    except OSError as exc:
        raise InputFileError(f"cannot open data file {name!r} ({exc.strerror}); check the path") from exc
    with handle:
        yield from _decode(handle, name)


def _decode(handle: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a binary stream, naming the first line that is not UTF-8.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (universal newlines, as Python's text mode reads them).
    """
    number = 0
    for raw in handle:
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


def stdin_texts(*, text_field: str | None = None) -> list[str]:
    """The samples of standard input, for ``--data -``: exactly those of the same bytes read from a file.

    Args:
        text_field: None for plain text (one sample per line, UTF-8, universal newlines); a field name for
            JSONL (each line one JSON object), as ``iter_texts`` reads a file with ``text_field``.
    Returns:
        every sample, empty ones included.
    """
    import sys

    return [text for _, text in _file_texts(sys.stdin.buffer, "<stdin>", text_field)]


def _jsonl(path: Readable, field: str, name: str) -> Iterator[tuple[int, str]]:
    for number, line in _lines(path, name):
        if not line.strip():
            yield number - 1, ""
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:  # a JSONDecodeError, or an integer too long for int() (no .msg)
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else first_line(exc).split(":")[0]
            raise DataError(
                f"{name!r} line {number} is not JSON ({why}); each line must be one JSON object") from exc
        if not isinstance(record, dict) or field not in record:
            keys = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise DataError(f"{name!r} line {number} has no field {field!r} (found {keys}); "
                            f"pick the field with --text-field")
        value = record[field]
        if not isinstance(value, str):
            raise DataError(f"{name!r} line {number}: field {field!r} is {type(value).__name__}, not a string")
        yield number - 1, value


def iter_texts(source: TextSource, *, text_field: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(index, text)`` for every sample of ``source``, empty ones included.

    Args:
        source: a list/iterable of strings, or the path of a text file (one sample per line,
            ``\\n``, ``\\r\\n`` or ``\\r``), a JSONL file (``.jsonl`` suffix, or ``text_field`` given with
            another suffix), a ``.csv`` / ``.tsv`` file with a header row, or a ``.parquet`` file (needs pyarrow).
            One bare string is a path: wrap one text in a list.
        text_field: the JSONL field or the CSV/TSV/Parquet column holding the text (default ``"text"``).
    Returns:
        an iterator; files are read lazily, so memory does not grow with the corpus.

    >>> list(iter_texts(["a b", "", "c"]))
    [(0, 'a b'), (1, ''), (2, 'c')]
    """
    if isinstance(source, (str, Path)):
        fix = "pass a text or JSONL file"
        if isinstance(source, str) and not Path(source).exists():
            fix += f", or a list of texts to score one: [{source[:60]!r}]"
        path = check_input_file(source, what="data file", fix=fix)
        return _file_texts(path, str(path), text_field)
    if not isinstance(source, Iterable) or isinstance(source, (Mapping, Set, bytes)):
        # a dict would be scored by its keys, a set in a hash order that changes from run to run
        raise DataError(f"texts={_short(source)} is a {type(source).__name__}; pass a list of texts or the path of a "
                        f"text or JSONL file")
    return _iter_strings(source)


def bytes_texts(data: bytes, name: str, *, text_field: str | None = None) -> Iterator[tuple[int, str]]:
    """``iter_texts`` of a file's bytes held in memory (a file read elsewhere, e.g. by a Ray worker).

    Args:
        data: the whole file.
        name: its path: the suffix picks the format exactly as ``iter_texts`` picks it, and messages name it.
        text_field: as ``iter_texts``.
    Returns:
        the ``(index, text)`` pairs ``iter_texts`` yields for the same file.

    >>> list(bytes_texts(b"a\\r\\n\\nb", "x.txt"))
    [(0, 'a'), (1, ''), (2, 'b')]
    """
    return _file_texts(io.BytesIO(data), name, text_field)


def _file_texts(path: Readable, name: str, text_field: str | None) -> Iterator[tuple[int, str]]:
    """A file's samples, its format picked by ``name``'s suffix (see ``iter_texts``)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return csv_texts(path, text_field or "text", delimiter="," if suffix == ".csv" else "\t", name=name)
    if suffix == ".parquet":
        return parquet_texts(path, text_field or "text", name=name)
    if text_field is not None or suffix == ".jsonl":
        return _jsonl(path, text_field or "text", name)
    return ((number - 1, line) for number, line in _lines(path, name))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _iter_strings(source: Iterable[str]) -> Iterator[tuple[int, str]]:
    for index, text in enumerate(source):
        if not isinstance(text, str):
            raise DataError(f"sample {index} is {type(text).__name__} {text!r}, not a string; pass a list of strings")
        yield index, text
