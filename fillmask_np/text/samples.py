"""Number the samples of a corpus: the i-th non-empty sample is sample i; empty ones are counted, not scored."""

from __future__ import annotations

from typing import Iterator

__all__ = ["non_empty"]


def non_empty(items: Iterator[tuple[int, str]], counts: dict[str, int],
              limit: int | None) -> Iterator[tuple[int, int, str]]:
    """Yield ``(sample index, source position, text)`` for the non-empty samples of ``items``.

    Args:
        items: ``(source position, text)`` pairs, as ``iter_texts`` yields them.
        counts: running counts; ``n_samples`` and ``n_empty`` are incremented here.
        limit: stop after this many non-empty samples (None: all).
    Returns:
        a lazy iterator.

    >>> counts = {"n_samples": 0, "n_empty": 0}
    >>> list(non_empty(iter([(0, "a"), (1, " "), (2, "b")]), counts, None)), counts["n_empty"]
    ([(0, 0, 'a'), (1, 2, 'b')], 1)
    """
    for position, text in items:
        if limit is not None and counts["n_samples"] >= limit:
            return
        if not text.strip():
            counts["n_empty"] += 1
            continue
        counts["n_samples"] += 1
        yield counts["n_samples"] - 1, position, text
