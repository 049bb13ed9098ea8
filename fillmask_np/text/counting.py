"""The number of samples a run will score, known up front for a progress bar's total and ETA.

A cheap count pass numbers the source exactly as ``non_empty`` does (limit and shard included); a Parquet file's
row count is read from its metadata instead (an upper bound: empty rows are counted too).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .samples import non_empty
from .sources import TextSource, iter_texts
from .tables import open_parquet

__all__ = ["sample_total"]


def sample_total(source: TextSource, *, text_field: str | None = None, limit: int | None = None,
                 shard: tuple[int, int] | None = None) -> int | None:
    """How many non-empty samples of ``source`` a run with ``limit`` and ``shard`` scores.

    Args:
        source: a path or a list of texts, as ``iter_texts`` takes it.
        text_field: as ``iter_texts``.
        limit: at most this many non-empty samples of the whole corpus (None: all).
        shard: ``(i, n)``: only samples ``k % n == i``; None: all.
    Returns:
        the count (for a ``.parquet`` file, an upper bound from its row count), or None for a one-pass iterable
        (a generator), which cannot be read twice.

    >>> sample_total(["a", " ", "b", "c"], shard=(1, 2))
    1
    """
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".parquet" and Path(source).is_file():
        rows = int(open_parquet(Path(source), str(source)).metadata.num_rows)
        rows = rows if limit is None else min(rows, limit)
        i, n = shard or (0, 1)
        return max(0, (rows - i + n - 1) // n)  # [0, rows) with k % n == i
    if not isinstance(source, (str, Path, Sequence)):
        return None
    counts = {"n_samples": 0, "n_empty": 0}
    return sum(1 for _ in non_empty(iter_texts(source, text_field=text_field), counts, limit, shard))
