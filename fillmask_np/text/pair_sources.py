"""Minimal pairs to score: a list of ``(good, bad)`` texts or of records, or a JSONL, CSV/TSV or Parquet file.

The two fields are named by ``good_field`` / ``bad_field`` or detected from the column names: BLiMP's
``sentence_good`` / ``sentence_bad`` and CrowS-Pairs' ``sent_more`` / ``sent_less`` (the "good" side of a
CrowS-Pairs pair is its more stereotypical sentence, so the accuracy is the benchmark's bias score). A record
missing a field, an empty sentence and a group field that a record lacks are refused naming the record.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Sequence, Union

from ..errors import DataError, FillMaskError, InputFileError
from .inputs import check_input_file
from .tables import open_parquet

__all__ = ["KNOWN_PAIR_FIELDS", "PairRow", "PairSource", "iter_pairs"]

PairSource = Union[str, Path, Iterable[Any]]
KNOWN_PAIR_FIELDS = {"BLiMP": ("sentence_good", "sentence_bad"), "CrowS-Pairs": ("sent_more", "sent_less")}
_FORMATS = (".jsonl", ".csv", ".tsv", ".parquet")


class PairRow(NamedTuple):
    """One pair: its place in the source (0-based record number), its two texts and its group (or None)."""

    position: int
    good: str
    bad: str
    group: str | None


def iter_pairs(source: PairSource, *, good_field: str | None = None, bad_field: str | None = None,
               group_field: str | None = None) -> Iterator[PairRow]:
    """Yield every pair of ``source``, in order, each checked (see the module's docstring).

    Args:
        source: a list of ``(good, bad)`` pairs or of records (dicts), or the path of a ``.jsonl``, ``.csv``,
            ``.tsv`` or ``.parquet`` file (one pair per record, with a header row for CSV/TSV).
        good_field, bad_field: the fields of the better and the worse text (default: detected).
        group_field: the field grouping the pairs (BLiMP's ``UID``, CrowS-Pairs' ``bias_type``), or None.
    Returns:
        a lazy iterator of ``PairRow``.

    >>> list(iter_pairs([("A cat sleeps.", "A cat sleep.")]))
    [PairRow(position=0, good='A cat sleeps.', bad='A cat sleep.', group=None)]
    """
    if isinstance(source, (str, Path)):
        path = check_input_file(source, what="pairs file", fix="pass a .jsonl, .csv, .tsv or .parquet file")
        if path.suffix.lower() not in _FORMATS:
            raise InputFileError(f"pairs file {str(path)!r} must end in {', '.join(_FORMATS)} (one pair per "
                                 f"record, with the two sentences as fields)")
        columns, records = _file_records(path)
        name = str(path)
    elif isinstance(source, Iterable) and not isinstance(source, (Mapping, bytes)):
        items = list(source)
        if all(isinstance(x, (tuple, list)) for x in items):  # also no item: nothing to detect
            return _tuples(items, group_field)
        columns = sorted(items[0]) if items and isinstance(items[0], Mapping) else []
        records = enumerate(items)
        name = "pairs"
    else:
        raise DataError(f"pairs={repr(source)[:80]} is a {type(source).__name__}; pass a list of (good, bad) "
                        f"pairs or of records, or the path of a .jsonl, .csv, .tsv or .parquet file")
    good, bad = _pair_fields(columns, good_field, bad_field, name)
    if group_field is not None and group_field not in columns:
        raise DataError(f"{name!r} has no group field {group_field!r} (fields: {columns}); pick one with "
                        f"--group-field / group_field=")
    return _rows(records, (good, bad), group_field, name)


def _pair_fields(columns: Sequence[str], good: str | None, bad: str | None, name: str) -> tuple[str, str]:
    """The (good, bad) fields: as given, else the first known benchmark whose two fields are both present."""
    if good is None and bad is None:
        for fields in KNOWN_PAIR_FIELDS.values():
            if all(f in columns for f in fields):
                return fields
        known = "; ".join(f"{k}: {a!r} / {b!r}" for k, (a, b) in KNOWN_PAIR_FIELDS.items())
        raise DataError(f"{name!r} has no known pair fields (fields: {list(columns)}; known: {known}); name them "
                        f"with --good-field and --bad-field / good_field= and bad_field=")
    if good is None or bad is None:
        raise FillMaskError(f"good_field={good!r} and bad_field={bad!r}: name both fields (--good-field and "
                            f"--bad-field), or neither to detect them")
    if good == bad:
        raise FillMaskError(f"good_field and bad_field are both {good!r}; name two different fields")
    for field in (good, bad):
        if field not in columns:
            raise DataError(f"{name!r} has no field {field!r} (fields: {list(columns)}); pick the pair fields with "
                            f"--good-field / --bad-field")
    return good, bad


def _rows(records: Iterable[tuple[int, Any]], fields: tuple[str, str], group_field: str | None,
          name: str) -> Iterator[PairRow]:
    for position, record in records:
        where = f"{name!r} record {position + 1}"
        if not isinstance(record, Mapping):
            raise DataError(f"{where} is a {type(record).__name__}, not a record with fields {list(fields)}")
        good, bad = (_text(record, field, where) for field in fields)
        group = None
        if group_field is not None:
            value = record.get(group_field)
            if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
                raise DataError(f"{where} has no usable group {group_field!r} (found {value!r}); every pair needs "
                                f"a non-empty group value, or leave out --group-field")
            group = str(value)
        yield PairRow(position, good, bad, group)


def _text(record: Mapping[str, Any], field: str, where: str) -> str:
    if field not in record:
        raise DataError(f"{where} has no field {field!r} (found {sorted(record)}); every pair needs both sentences")
    value = record[field]
    if not isinstance(value, str):
        raise DataError(f"{where}: field {field!r} is {type(value).__name__} {repr(value)[:40]}, not a string")
    if not value.strip():
        raise DataError(f"{where}: field {field!r} is an empty sentence ({value!r}); drop the pair or fill it in")
    return value


def _tuples(items: list[Any], group_field: str | None) -> Iterator[PairRow]:
    if group_field is not None:
        raise FillMaskError(f"group_field={group_field!r} needs records (dicts or a file) holding that field, not "
                            f"(good, bad) tuples")
    for position, item in enumerate(items):
        where = f"pair {position}"
        if len(item) != 2:
            raise DataError(f"{where} has {len(item)} items ({repr(item)[:80]}); each pair is (good, bad)")
        good, bad = (_text({side: text}, side, where) for side, text in zip(("good", "bad"), item))
        yield PairRow(position, good, bad, None)


def _file_records(path: Path) -> tuple[list[str], Iterator[tuple[int, Any]]]:
    """The fields of a pairs file (the first record's, or the header) and its records, read lazily."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path)
    if suffix == ".jsonl":
        records = _jsonl(path)
        first = next(records, None)
        if first is None:
            raise DataError(f"{str(path)!r} holds no pair (no JSON line); pass a file with one pair per line")
        columns = sorted(first[1]) if isinstance(first[1], Mapping) else []
        return columns, _chain(first, records)
    return _csv(path, "," if suffix == ".csv" else "\t")


def _chain(first: tuple[int, Any], rest: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    yield first
    yield from rest


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """The non-blank lines of a JSONL file, each parsed (numbered by record: blank lines are not counted)."""
    position = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{str(path)!r} line {number} is not valid UTF-8 (byte {exc.start}); re-encode the "
                                f"file as UTF-8") from exc
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{str(path)!r} line {number} is not JSON ({str(exc)[:80]}); each line must be one "
                                f"JSON object") from exc
            yield position, record
            position += 1


def _csv(path: Path, delimiter: str) -> tuple[list[str], Iterator[tuple[int, Any]]]:
    handle = io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise DataError(f"{str(path)!r} is not a readable UTF-8 CSV/TSV file ({exc}); fix the file") from exc
    if header is None:
        handle.close()
        raise DataError(f"{str(path)!r} is empty: a CSV/TSV file needs a header row naming its columns")

    def records() -> Iterator[tuple[int, Any]]:
        with handle:
            try:
                for position, row in enumerate(reader):
                    if len(row) != len(header):
                        raise DataError(f"{str(path)!r} row {position + 1} has {len(row)} fields, the header "
                                        f"{len(header)}; fix the row")
                    yield position, dict(zip(header, row))
            except (UnicodeDecodeError, csv.Error) as exc:
                raise DataError(f"{str(path)!r} line {reader.line_num} is not valid UTF-8 CSV ({exc}); fix the "
                                f"file") from exc

    return list(header), records()


def _parquet(path: Path) -> tuple[list[str], Iterator[tuple[int, Any]]]:
    parquet = open_parquet(path, str(path))

    def records() -> Iterator[tuple[int, Any]]:
        position = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                yield position, record
                position += 1

    return list(parquet.schema_arrow.names), records()
