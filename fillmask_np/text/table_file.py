"""Whole tables in and out: a CSV/TSV (header row) or Parquet file read with all its columns, and written back
with a column added (CSV/TSV by the standard library's csv module, Parquet by pyarrow), atomically.

Floats are written exactly in CSV (``repr``, read back bit for bit) and as float64 in Parquet.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import DataError, FillMaskError, InputFileError
from .inputs import check_input_file
from .outputs import AtomicFile

__all__ = ["TABLE_SUFFIXES", "Table", "check_table_output", "read_table", "write_table"]

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


class Table(NamedTuple):
    """A table: its column names and one list of values per column (str cells for CSV/TSV)."""

    columns: dict[str, list[Any]]
    n_rows: int


def read_table(path: str | Path, *, what: str = "table") -> Table:
    """Every column of a ``.csv``, ``.tsv`` (a header row, UTF-8) or ``.parquet`` file.

    Args:
        path: the file.
        what: how messages name it (e.g. "--mutations file").
    Returns:
        the ``Table``.
    Raises:
        InputFileError / DataError: a missing or unreadable file, an unknown suffix, a row of the wrong width.
    """
    fix = "pass a .csv, .tsv or .parquet file with a header row"
    path = check_input_file(path, what=what, fix=fix)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(f"{what} {str(path)!r} is not a table by its name; {fix}")
    if suffix == ".parquet":
        pq = _pyarrow("reading")[1]
        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
            raise InputFileError(f"{what} {str(path)!r} is not a readable Parquet file "
                                 f"({str(exc).splitlines()[0][:200]}); {fix}") from exc
        return Table({name: table.column(name).to_pylist() for name in table.column_names}, table.num_rows)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} {str(path)!r} is not valid UTF-8 ({exc.reason} at byte {exc.start}); re-encode "
                        f"it as UTF-8") from exc
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ","))
    except csv.Error as exc:
        raise DataError(f"{what} {str(path)!r} is not valid CSV ({exc}); fix the quoting") from exc
    if not rows:
        raise DataError(f"{what} {str(path)!r} is empty; {fix}")
    header, body = rows[0], [row for row in rows[1:] if row]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(f"{what} {str(path)!r} row {number} has {len(row)} fields, the header {len(header)}; "
                            f"fix the row")
    return Table({name: [row[k] for row in body] for k, name in enumerate(header)}, len(body))


def write_table(path: str | Path, columns: dict[str, list[Any]], *, what: str = "output") -> None:
    """Write the columns to ``path`` (``.csv``, ``.tsv`` or ``.parquet``), atomically.

    Args:
        path: the output (checked by the caller with ``check_output``).
        columns: name -> values, all of one length.
        what: how messages name the output.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(f"{what} {str(path)!r} must end in .csv, .tsv or .parquet")
    if suffix == ".parquet":
        pa, pq = _pyarrow("writing")
    with AtomicFile(path, what=what) as handle:
        if suffix == ".parquet":
            pq.write_table(pa.table(columns), handle)
            return
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(text, delimiter="\t" if suffix == ".tsv" else ",")
        writer.writerow(list(columns))
        writer.writerows(zip(*(_cells(values) for values in columns.values())))
        text.flush()
        text.detach()  # the handle stays open for AtomicFile to fsync and rename


def check_table_output(path: str | Path, *, what: str = "output") -> None:
    """Refuse an output name that ``write_table`` cannot write (before any work), pyarrow included."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(f"{what} {str(path)!r} must end in .csv, .tsv or .parquet")
    if suffix == ".parquet":
        _pyarrow("writing")


def _cells(values: list[Any]) -> list[str]:
    """CSV cells: floats by ``repr`` (exact), None as empty."""
    return ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]


def _pyarrow(doing: str) -> tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet), or a one-line ``FillMaskError`` naming the extra to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise FillMaskError(f"{doing} Parquet needs pyarrow: pip install 'fillmask_np[parquet]' (or use .csv)") from exc
    return pa, pq
