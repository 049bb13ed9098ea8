"""Number the samples of a corpus: the i-th non-empty sample is sample i; empty ones are counted, not scored.

A shard ``(i, n)`` keeps sample k when ``k % n == i`` and counts an empty sample in the shard of the
next sample number (so the n shards' counts add up to the whole corpus's); every shard reads the whole
source, so that sample numbers, hence masks, are those of one run over the whole corpus.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import FillMaskError
from ..limits import COUNT_BOUNDS, is_int, option_label

__all__ = ["non_empty", "check_shard", "shard_label"]


def check_shard(shard: Any, *, flags: bool | None = None) -> tuple[int, int] | None:
    """``shard`` as ``(i, n)`` with ``0 <= i < n <= 1000000``, from a pair or an ``"i/n"`` string; None stays None.

    Args:
        shard: the shard as given.
        flags: the value came from the command line: messages name its flag (``--shard '9/2'``), not the keyword;
            None: as ``limits.naming_flags`` says.
    Returns:
        ``(i, n)``, or None.

    >>> check_shard("3/8"), check_shard((0, 1)), check_shard(None)
    ((3, 8), (0, 1), None)
    """
    if shard is None:
        return None
    pair: Any = shard
    if isinstance(shard, str):
        pair = shard.split("/")
        try:
            pair = [int(p) for p in pair]
        except ValueError:
            pair = None
    if (not isinstance(pair, (list, tuple)) or len(pair) != 2
            or not all(is_int(p) for p in pair) or not 0 <= pair[0] < pair[1] <= COUNT_BOUNDS["shards"][1]):
        raise FillMaskError(f"{option_label('shard', shard, flags=flags)} must be i/n with 0 <= i < n (the i-th of n "
                            f"shards, counting from 0; n at most {COUNT_BOUNDS['shards'][1]}), e.g. 3/8 or (3, 8)")
    return int(pair[0]), int(pair[1])


def shard_label(shard: tuple[int, int] | None) -> str | None:
    """``(3, 8)`` -> ``"3/8"``; None -> None.

    >>> shard_label((3, 8))
    '3/8'
    """
    return None if shard is None else f"{shard[0]}/{shard[1]}"


def non_empty(items: Iterator[tuple[int, str]], counts: dict[str, int], limit: int | None,
              shard: tuple[int, int] | None = None) -> Iterator[tuple[int, int, str]]:
    """Yield ``(sample index, source position, text)`` for the non-empty samples of ``items``.

    Args:
        items: ``(source position, text)`` pairs, as ``iter_texts`` yields them.
        counts: running counts; ``n_samples`` and ``n_empty`` are incremented here (a shard's own).
        limit: stop after this many non-empty samples of the whole corpus (None: all).
        shard: ``(i, n)``: only samples ``k % n == i`` (see the module's docstring); None: all.
    Returns:
        a lazy iterator.

    >>> counts = {"n_samples": 0, "n_empty": 0}
    >>> list(non_empty(iter([(0, "a"), (1, " "), (2, "b")]), counts, None)), counts["n_empty"]
    ([(0, 0, 'a'), (1, 2, 'b')], 1)
    >>> list(non_empty(iter([(0, "a"), (1, " "), (2, "b")]), counts, None, (1, 2)))
    [(1, 2, 'b')]
    """
    i, n = shard or (0, 1)
    seen = 0  # non-empty samples of the whole corpus so far
    for position, text in items:
        if limit is not None and seen >= limit:
            return
        mine = seen % n == i
        if not text.strip():
            counts["n_empty"] += mine
            continue
        seen += 1
        if mine:
            counts["n_samples"] += 1
            yield seen - 1, position, text
