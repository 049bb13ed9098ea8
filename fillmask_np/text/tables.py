"""Tabular corpora: one sample per row of a CSV/TSV file (the standard library's csv module) or of a Parquet
file (pyarrow, the ``[parquet]`` extra, read one row group at a time so memory stays bounded)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Any, Iterator, Union

from ..errors import DataError, FillMaskError, InputFileError

__all__ = ["csv_texts", "open_parquet", "parquet_texts", "Readable"]

Readable = Union[Path, IO[bytes]]  # a file's path, or its bytes in memory (``io.BytesIO``)

_PARQUET_BATCH = 4096  # rows decoded at a time, within a row group


def csv_texts(path: Readable, field: str, *, delimiter: str, name: str | None = None) -> Iterator[tuple[int, str]]:
    """``(row index, text)`` of column ``field`` of a CSV (``delimiter=","``) or TSV (``"\\t"``) file with a header.

    Args:
        path: the file (UTF-8; a byte-order mark is skipped), or its bytes as a binary file object.
        field: the column holding the text.
        delimiter: the field separator.
        name: how messages name the file (default: ``path``).
    Returns:
        a lazy iterator; an empty cell is an empty sample (skipped and counted by the caller).
    """
    name = str(path) if name is None else name
    try:
        raw = path.open("rb") if isinstance(path, Path) else path
    except OSError as exc:
        raise InputFileError(f"cannot open data file {name!r} ({exc.strerror}); check the path") from exc
    with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
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
        except UnicodeDecodeError as exc:
            raise DataError(f"{name!r} is not valid UTF-8 ({exc.reason} at byte {exc.start} of a block); "
                            f"re-encode the file as UTF-8") from exc
        except csv.Error as exc:
            raise DataError(f"{name!r} line {reader.line_num} is not valid CSV ({exc}); fix the quoting") from exc


def parquet_texts(path: Readable, field: str, *, name: str | None = None) -> Iterator[tuple[int, str]]:
    """``(row index, text)`` of column ``field`` of a Parquet file (or its bytes), streamed in batches of a row group.

    A null or non-string value is refused naming its row and the column (``name``: how messages name the file).
    """
    name = str(path) if name is None else name
    parquet = open_parquet(path, name)
    names = parquet.schema_arrow.names
    if field not in names:
        raise DataError(f"{name!r} has no column {field!r} (columns: {names}); pick the column with "
                        f"--text-field / text_field=")
    index = 0
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH, columns=[field]):
        for value in batch.column(0).to_pylist():
            if not isinstance(value, str):
                raise DataError(f"{name!r} row {index}: column {field!r} holds "
                                f"{'null' if value is None else type(value).__name__ + ' ' + repr(value)[:40]}, "
                                f"not a string; clean the column or pick another with --text-field")
            yield index, value
            index += 1


def open_parquet(path: Readable, name: str) -> Any:
    """``pyarrow.parquet.ParquetFile`` of ``path`` (or its bytes); one-line errors without pyarrow or for a file that
    is not Parquet (``name``: how messages name the file)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise FillMaskError("reading Parquet needs pyarrow: pip install 'fillmask_np[parquet]'") from exc
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
        raise InputFileError(f"{name!r} is not a readable Parquet file ({str(exc).splitlines()[0][:200]}); "
                             f"pass a .parquet file") from exc
