"""Stream evaluation texts: a list of strings, a text file (one sample per line) or JSONL.

Every source yields ``(position, text)`` with ``position`` the 0-based place of the sample in the
source (line number - 1 for files), empty samples included: ``evaluate`` skips and counts those, and
numbers the rest 0, 1, 2, ... for per-sample masking.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..errors import DataError, InputFileError

__all__ = ["iter_texts", "TextSource"]

TextSource = Union[str, Path, Iterable[str]]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Decode a file line by line, naming the first line that is not UTF-8."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputFileError(f"cannot open data file {str(path)!r} ({exc.strerror}); check the path") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{str(path)!r} line {number} is not valid UTF-8 (byte {exc.start}: "
                                f"{raw[exc.start:exc.start + 1]!r}); re-encode the file as UTF-8") from exc
            if number == 1 and line.startswith("\ufeff"):  # a byte-order mark is not text
                line = line[1:]
            yield number, line.rstrip("\n").rstrip("\r")


def _jsonl(path: Path, field: str) -> Iterator[tuple[int, str]]:
    for number, line in _lines(path):
        if not line.strip():
            yield number - 1, ""
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise DataError(
                f"{str(path)!r} line {number} is not JSON ({exc.msg}); each line must be one JSON object") from exc
        if not isinstance(record, dict) or field not in record:
            keys = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise DataError(f"{str(path)!r} line {number} has no field {field!r} (found {keys}); "
                            f"pick the field with --text-field")
        value = record[field]
        if not isinstance(value, str):
            raise DataError(f"{str(path)!r} line {number}: field {field!r} is {type(value).__name__}, not a string")
        yield number - 1, value


def iter_texts(source: TextSource, *, text_field: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(index, text)`` for every sample of ``source``, empty ones included.

    Args:
        source: a list/iterable of strings, or the path of a text file (one sample per line,
            ``\\n`` or ``\\r\\n``) or of a JSONL file (``.jsonl`` suffix or ``text_field`` given).
        text_field: the JSONL field holding the text (default ``"text"``).
    Returns:
        an iterator; files are read lazily, so memory does not grow with the corpus.

    >>> list(iter_texts(["a b", "", "c"]))
    [(0, 'a b'), (1, ''), (2, 'c')]
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputFileError(f"data file {str(path)!r} does not exist; pass a text or JSONL file")
        if text_field is not None or path.suffix.lower() == ".jsonl":
            return _jsonl(path, text_field or "text")
        return ((number - 1, line) for number, line in _lines(path))
    return _iter_strings(source)


def _iter_strings(source: Iterable[str]) -> Iterator[tuple[int, str]]:
    for index, text in enumerate(source):
        if not isinstance(text, str):
            raise DataError(f"sample {index} is {type(text).__name__} {text!r}, not a string; pass a list of strings")
        yield index, text
