"""The samples of a distributed run's data, streamed to the driver in source order: ``(position, text)``, empty
samples included, positions as ``evaluate`` gives them for the same file (0-based row; continued across files).

``data`` is a ``ray.data.Dataset`` the user built (its rows in order: 0, 1, 2, ...), or a path, a glob or a
list of them. Local files are read on the driver by ``iter_texts`` itself, line by line as scoring goes. Remote
files (``s3://...``): Parquet with ``ray.data.read_parquet``; text, JSONL, CSV and TSV with
``ray.data.read_binary_files``, decoded on the driver by ``decoding.file_texts`` (``iter_texts``'s rules). Ray Data's
read tasks ask for no CPU (``num_cpus=0``): the scoring actors may hold every CPU of the cluster while the driver
still reads (a Dataset the user built with CPU-bound steps needs CPUs left free for them, or ``materialize()``).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Generator

from ..errors import DataError, FillMaskError, InputFileError
from ..text import check_input_file, iter_texts
from .decoding import file_kind, file_texts

__all__ = ["data_paths", "source_texts", "dataset_texts"]

_BATCH_ROWS = 4096  # rows the driver pulls at a time from a Dataset


def data_paths(data: str | Path | list[str | Path]) -> list[str]:
    """The files of ``data``: a path, a glob (sorted matches) or a list of them; local ones checked to exist.

    Args:
        data: local paths or globs, or URIs (``s3://...``) passed to Ray as given.
    Returns:
        the paths, in the order given.
    """
    items = [data] if isinstance(data, (str, Path)) else data
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(p, (str, Path)) for p in items):
        raise FillMaskError(f"data={data!r} is not a ray.data.Dataset, a path, a glob or a non-empty list of paths")
    paths: list[str] = []
    for item in items:
        text = str(item)
        if "://" in text:
            paths.append(text)
        elif any(c in text for c in "*?["):
            found = sorted(glob.glob(text))
            if not found:
                raise InputFileError(f"data glob {text!r} matches no file; check the pattern (quote it in a shell)")
            fix = "pass text, JSONL or Parquet files"
            paths += [str(check_input_file(p, what="data file", fix=fix)) for p in found]
        else:
            paths.append(str(check_input_file(text, what="data file", fix="pass text, JSONL or Parquet files")))
    return paths


def dataset_texts(ds: Any, column: str, *, first_row: int = 0) -> Generator[tuple[int, str], None, None]:
    """``(row, text)`` of column ``column`` of a Ray Dataset, in order (``preserve_order`` on while it streams).

    Args:
        ds: a ``ray.data.Dataset``; its ``context.execution_options.preserve_order`` is restored afterwards.
        column: the column of texts (strings; a null or other value is refused naming its row).
        first_row: the position of the first row.
    Returns:
        a lazy iterator; close it to stop early.
    """
    names = ds.columns()
    if column not in (names or []):
        raise DataError(f"the dataset has no column {column!r} (columns: {names}); pick it with text_field=")
    options = ds.context.execution_options
    before, options.preserve_order = options.preserve_order, True
    try:
        row = first_row
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=_BATCH_ROWS):  # no map step: no CPU
            for value in batch.column(column).to_pylist():
                if not isinstance(value, str):
                    shown = "null" if value is None else f"{type(value).__name__} {repr(value)[:40]}"
                    raise DataError(f"dataset row {row}: column {column!r} holds {shown}, not a string; clean the "
                                    f"column or pick another with text_field=")
                yield row, value
                row += 1
    finally:
        options.preserve_order = before


def source_texts(ray: Any, data: Any, *, text_field: str | None) -> Generator[tuple[int, str], None, None]:
    """``(position, text)`` of every sample of ``data`` in source order, empty ones included.

    Args:
        ray: the connected ``ray`` module.
        data: a ``ray.data.Dataset``, or paths / globs (see the module's docstring).
        text_field: the column or JSONL field of the texts (default ``"text"``).
    Returns:
        a lazy iterator; close it to stop early.
    """
    if isinstance(data, ray.data.Dataset):
        return dataset_texts(data, text_field or "text")
    paths = data_paths(data)
    if not any("://" in p for p in paths):
        return _local_texts(paths, text_field)
    kinds = {file_kind(p, text_field) == "parquet" for p in paths}
    if kinds == {True}:
        return dataset_texts(_read(ray.data.read_parquet, paths), text_field or "text")
    if kinds == {True, False}:
        raise FillMaskError(f"data mixes Parquet and other files ({paths[:4]}...); score them in separate runs")
    return _file_texts(_read(ray.data.read_binary_files, paths, include_paths=True), text_field)


def _local_texts(paths: list[str], text_field: str | None) -> Generator[tuple[int, str], None, None]:
    """The samples of local files, read by ``iter_texts``; positions run on across the files."""
    offset = 0
    for path in paths:
        row = -1
        for row, text in iter_texts(path, text_field=text_field):
            yield offset + row, text
        offset += row + 1


def _read(reader: Any, paths: list[str], **options: Any) -> Any:
    try:
        return reader(paths, ray_remote_args={"num_cpus": 0}, **options)
    except (OSError, ValueError) as exc:  # a remote path that does not exist, a filesystem Ray cannot open
        raise InputFileError(f"Ray cannot read {paths[:4]} ({str(exc).strip().splitlines()[0][:200]}); check the "
                             f"paths") from None


def _file_texts(ds: Any, text_field: str | None) -> Generator[tuple[int, str], None, None]:
    """Each file whole (one row: ``bytes``, ``path``), in the order given, decoded as ``evaluate`` reads it."""
    options = ds.context.execution_options
    before, options.preserve_order = options.preserve_order, True
    try:
        offset = 0
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=1):
            data, name = batch.column("bytes")[0].as_py(), batch.column("path")[0].as_py()
            row = -1
            for row, text in file_texts(data, name, text_field=text_field):
                yield offset + row, text
            offset += row + 1
    finally:
        options.preserve_order = before
