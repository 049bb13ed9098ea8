"""What every distributed verb does on the driver before and around ``streaming.run_blocks``: the model's path as
the workers will open it, the run's sizes checked, the corpus numbered into blocks lazily, the blocks' partials
merged in bounded memory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, TypeVar

import numpy as np

from ..errors import FillMaskError, InputFileError
from ..limits import check_count

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend

__all__ = ["worker_paths", "run_sizes", "chunks", "Parts", "check_partial_data", "sorted_records", "COMPACT_EVERY"]

COMPACT_EVERY = 64  # merged partials held apart before they are merged into one

T = TypeVar("T")


def worker_paths(model: Any, tokenizer: Any, backend: Backend) -> tuple[Path, Path | None]:
    """The model's and tokenizer's absolute paths, as the workers open them; a Hub id ``ORG/NAME[@REVISION]`` is
    fetched once, here, into the driver's Hugging Face cache (which the workers must see).

    Args:
        model: a path or Hub id.
        tokenizer: a path, or None for the one beside the model.
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
    Returns:
        ``(model, tokenizer)``; the model checked to exist.
    """
    if isinstance(model, (str, Path)):
        from ..runtime import resolve_model

        source = resolve_model(model, backend=backend)
        model, tokenizer = source.path, source.tokenizer_dir if source.hub and tokenizer is None else tokenizer
    model = Path(model).resolve() if isinstance(model, (str, Path)) else model
    tok = Path(tokenizer).resolve() if isinstance(tokenizer, (str, Path)) else tokenizer
    if not isinstance(model, Path) or not (tok is None or isinstance(tok, Path)):
        raise InputFileError(f"model={model!r} and tokenizer={tokenizer!r} must be paths (the workers open them)")
    if not model.exists():
        raise InputFileError(f"model {str(model)!r} does not exist; pass an .onnx file, an export directory or a "
                             f"checkpoint directory")
    return model, tok


def run_sizes(workers: Any, cpus_per_worker: Any, block: Any, window: Any, *,
              block_name: str = "block_samples") -> tuple[int, int, int, int]:
    """``(workers, cpus_per_worker, block, window)`` checked: positive integers; ``window`` None is the workers
    (each actor scores one block at a time).

    Args:
        workers, cpus_per_worker: the pool.
        block: items per block.
        window: the most blocks out at once, or None.
        block_name: the block size's keyword, named in errors.
    Returns:
        the four counts.
    """
    workers = check_count("workers", workers)
    cpus = check_count("cpus_per_worker", cpus_per_worker)
    block = check_count(block_name, block)
    window = check_count("max_in_flight", workers if window is None else window, hint="blocks out at once")
    return workers, cpus, block, window


def chunks(items: Iterable[T], size: int, *, tail: int = 0) -> Iterator[list[T]]:
    """``items`` in lists of ``size``, read lazily; with ``tail`` > 0 the end is cut finer, so a pool of ``tail``
    workers finishes together (guided self-scheduling, Polychronopoulos and Kuck 1987).

    The chunker reads ``tail + 1`` blocks' items ahead, so when the items run out it holds the last ``r`` of them
    (``tail x size <= r < (tail + 1) x size``, or all when there are fewer). These go out in blocks of
    ``ceil(r / (2 x tail))`` items (at most ``size``), ``r`` recounted after each block: the last blocks shrink to
    one item, so no worker waits a whole block for another. The cut depends on the items alone, never on timing,
    so a run's blocks (and what a block's scoring shares, such as a position of ``variants``) are the same every run.

    Args:
        items: what the blocks hold, in order.
        size: items per block before the end.
        tail: the workers the end is balanced over; 0 cuts the end like the rest (the last block shorter).
    Returns:
        an iterator of non-empty lists whose concatenation is ``items``.

    >>> list(chunks(range(5), 2))
    [[0, 1], [2, 3], [4]]
    >>> [len(b) for b in chunks(range(40), 10, tail=2)]
    [10, 10, 5, 4, 3, 2, 2, 1, 1, 1, 1]
    """
    ahead = size * (tail + 1) if tail > 0 else size  # items held before a full block goes out
    held: list[T] = []
    for item in items:
        held.append(item)
        if len(held) == ahead:
            yield held[:size]
            held = held[size:]
    while held:
        cut = min(size, -(-len(held) // (2 * tail))) if tail > 0 else size  # ceil(r / 2 tail), at most size
        yield held[:cut]
        held = held[cut:]


def check_partial_data(data: Any, partial: Any) -> None:
    """Refuse ``partial=`` unless ``data`` is one file's path (a partial records the data file's sha256)."""
    if partial is None:
        return
    if not isinstance(data, (str, Path)) or any(c in str(data) for c in "*?[") or "://" in str(data):
        raise FillMaskError(f"partial={partial!r} needs data to be one file's path (the partial records its sha256), "
                            f"not {type(data).__name__} {str(data)[:60]!r}; score one file per run")


class Parts(Generic[T]):
    """Partials merged as they arrive: held apart, merged into one every ``COMPACT_EVERY`` (exact: the merge of a
    merge is the merge), so that merging N blocks costs about N x the rows, not N^2.

    Args:
        merge: the partials' exact merge (``Totals.merge``, ``PLLTotals.merge``, ...).
    """

    def __init__(self, merge: Callable[[list[T]], T]) -> None:
        self.merge_all = merge
        self.items: list[T] = []

    def add(self, item: T) -> None:
        """Hold ``item``; merge what is held when it reaches ``COMPACT_EVERY``."""
        self.items.append(item)
        if len(self.items) >= COMPACT_EVERY:
            self.items = [self.merge_all(self.items)]

    def merged(self) -> T | None:
        """The merge of every partial added, or None when none was; the partials held are let go (one copy of the
        rows at a time)."""
        items, self.items = self.items, []
        return self.merge_all(items) if items else None


def sorted_records(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray] | None:
    """The blocks' per-token records as one run's: concatenated, sorted by (sample, position); None when none.

    Args:
        parts: each block's records (``[T]`` or ``[T, 5]`` arrays with ``sample`` and ``position`` among them).
    Returns:
        the records of the whole run, or None when ``parts`` holds no record.
    """
    parts = [p for p in parts if len(p["sample"])]
    if not parts:
        return None
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((columns["position"], columns["sample"]))
    return {k: v[order] for k, v in columns.items()}
