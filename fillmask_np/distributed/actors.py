"""The Ray workers: ``BlockWorker``, the actor of the streaming driver (``streaming.run_blocks``), which opens a verb's
``Job`` once and scores each block sent to it.

Two fault-injection hooks for tests, read from the driver's environment, so a test can kill a worker mid-run
without killing anything by name:

* ``FAULT_ENV``, a file path: the actor that first creates that file exits its process (``os._exit(1)``) on its
  second block;
* ``POISON_ENV``, an item's corpus index ``k``: an actor exits whenever its block holds the item ``(k, ...)``
  (every verb's items are tuples that start with their index), as a block that runs its worker out of memory
  would, every time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["FAULT_ENV", "POISON_ENV", "BlockWorker", "Job", "load_tokenizer", "open_pair"]

FAULT_ENV = "FILLMASK_NP_RAY_EXIT_ONCE"
POISON_ENV = "FILLMASK_NP_RAY_EXIT_ON_ITEM"


def load_tokenizer(model: str | Path, tokenizer: str | Path | None) -> Tokenizer:
    """The tokenizer as ``fillmask-np eval`` finds it: ``tokenizer`` (a directory, ``vocab.txt`` or
    ``tokenizer.json``), else the one beside ``model``.

    Args:
        model: the model file or directory.
        tokenizer: the tokenizer's path, or None.
    Returns:
        a ``Tokenizer``.
    """
    from ..tokenization import Tokenizer

    if tokenizer is not None:
        path = Path(tokenizer)
        if path.is_dir():
            return Tokenizer.from_dir(path)
        return Tokenizer.from_wordpiece(path) if path.name == "vocab.txt" else Tokenizer.from_file(path)
    from ..runtime import resolve_model

    try:
        return Tokenizer.from_dir(resolve_model(Path(model)).tokenizer_dir)  # beside it; a Hub repo's onnx/: above
    except InputFileError as exc:
        raise InputFileError(f"no tokenizer beside {str(model)!r}; pass tokenizer='tokenizer.json'") from exc


def _claim(path: str) -> bool:
    """Create ``path``; False when it exists (another actor claimed it)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@dataclass(frozen=True)
class Job:
    """What a distributed verb's actors open and how they score a block; each verb subclasses it (``score``).

    Args:
        model: the model's path, as the workers see it.
        tokenizer: the tokenizer's path, or None for the one beside the model.
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
        threads: ONNX Runtime intra-op threads (the actor's CPUs).
        options: the verb's keyword options for its block function.

    A subclass sets ``split_end = False`` when the items of a block share work (``variants``: the masked rows of a
    position serve every mutation there), so the streaming driver does not cut the end of the run finer.
    """

    model: str
    tokenizer: str | None
    backend: str
    threads: int
    options: dict[str, Any] = field(default_factory=dict)
    split_end: ClassVar[bool] = True  # False when a block's items share work: cutting the end finer adds work

    def open(self) -> Any:
        """Open the model(s) and tokenizer once per actor; ``score`` gets what this returns."""
        return open_pair(self.model, self.tokenizer, self.backend, self.threads)

    def score(self, opened: Any, block: list[Any]) -> dict[str, Any]:
        """The verb's mergeable partial of one block (the objects ``--partial`` writes), numbered as the corpus."""
        raise NotImplementedError


def open_pair(model: str, tokenizer: str | None, backend: Any, threads: int) -> tuple[Any, Tokenizer]:
    """``(MaskedLM, Tokenizer)`` opened in a worker: ONNX Runtime with ``threads`` intra-op threads.

    Args:
        model, tokenizer, backend, threads: as ``Job``.
    Returns:
        the model and its tokenizer.
    """
    from ..runtime import open_model, pick_backend

    onnx = pick_backend(model, backend) == "onnx"
    return open_model(model, backend=backend, threads=threads if onnx else None), load_tokenizer(model, tokenizer)


class BlockWorker:
    """The actor of ``streaming.run_blocks``: opens ``job`` once, then scores the blocks sent to it.

    Args:
        job: the verb's ``Job``.
        exit_once: the ``FAULT_ENV`` hook's file, or None.
        poison: the ``POISON_ENV`` hook's item index, or None.
    """

    def __init__(self, job: Job, exit_once: str | None = None, poison: str | None = None) -> None:
        self.job = job
        self.opened = job.open()
        self.exit_once = exit_once
        self.poison = poison
        self.calls = 0

    def score(self, block: list[Any]) -> dict[str, Any]:
        """Score one block.

        Args:
            block: the block's items (numbered samples, pairs, mutations: what the job scores).
        Returns:
            ``partial`` (``job.score``'s), ``samples`` (the block's length), ``node_id`` (the Ray node that scored
            it) and ``pid``.
        """
        import ray

        self.calls += 1
        if self.exit_once is not None and self.calls == 2 and _claim(self.exit_once):
            os._exit(1)  # the FAULT_ENV hook: this process dies with a block in flight
        if self.poison is not None and any(str(item[0]) == self.poison for item in block):
            os._exit(1)  # the POISON_ENV hook: this block kills every process that scores it
        partial = self.job.score(self.opened, block)
        return {"partial": partial, "samples": len(block), "node_id": ray.get_runtime_context().get_node_id(),
                "pid": os.getpid()}
