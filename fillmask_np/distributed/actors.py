"""The Ray Data worker: a stateful callable class that opens the model and tokenizer once per actor and turns each
batch of numbered samples into the JSON state of its ``metrics.Totals``.

``FAULT_ENV`` is a fault-injection hook for tests: when the driver's environment sets it to a file path, the
actor that first creates that file exits its process (``os._exit(1)``) on its second batch, so a test can
kill a worker mid-run without killing anything by name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import MaskingConfig
from ..errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import Backend
    from ..tokenization import Tokenizer

__all__ = ["FAULT_ENV", "ScoreActor", "load_tokenizer"]

FAULT_ENV = "FILLMASK_NP_RAY_EXIT_ONCE"


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
    model = Path(model)
    try:
        return Tokenizer.from_dir(model if model.is_dir() else model.parent)
    except InputFileError as exc:
        raise InputFileError(f"no tokenizer beside {str(model)!r}; pass tokenizer='tokenizer.json'") from exc


def _claim(path: str) -> bool:
    """Create ``path``; False when it exists (another actor claimed it)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class ScoreActor:
    """``map_batches``'s callable: one model session per actor; each batch of samples in, one row of totals out.

    Args:
        model: the model's path (``runtime.open_model``), as the worker sees it.
        tokenizer: the tokenizer's path, or None for the one beside the model.
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
        threads: ONNX Runtime intra-op threads (the actor's CPUs).
        config: ``MaskingConfig.as_dict()`` of the resolved settings (``tasks.eval_config``).
        logits_budget: as ``evaluate``.
        exit_once: the ``FAULT_ENV`` hook's file, or None.
    """

    def __init__(self, *, model: str, tokenizer: str | None, backend: Backend, threads: int, config: dict[str, Any],
                 logits_budget: int, exit_once: str | None = None) -> None:
        from ..runtime import open_model, pick_backend

        onnx = pick_backend(model, backend) == "onnx"
        self.model = open_model(model, backend=backend, threads=threads if onnx else None)
        self.tokenizer = load_tokenizer(model, tokenizer)
        self.config = MaskingConfig(**config)
        self.logits_budget = logits_budget
        self.exit_once = exit_once
        self.calls = 0

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Score one batch: columns ``index``, ``position`` ([B] int64) and ``text`` ([B] str).

        Args:
            batch: the numbered samples.
        Returns:
            one row: ``state`` (the JSON of ``Totals.state()``), ``n_samples`` and the actor's ``pid``.
        """
        from ..tasks import score_samples

        self.calls += 1
        if self.exit_once is not None and self.calls == 2 and _claim(self.exit_once):
            os._exit(1)  # the FAULT_ENV hook: this process dies with a batch in flight
        samples = zip(batch["index"].tolist(), batch["position"].tolist(), [str(t) for t in batch["text"]])
        totals = score_samples(self.model, self.tokenizer, samples, self.config, logits_budget=self.logits_budget)
        return {"state": np.array([json.dumps(totals.state())], dtype=object),  # [1]
                "n_samples": np.array([len(batch["index"])], dtype=np.int64),  # [1]
                "pid": np.array([os.getpid()], dtype=np.int64)}  # [1]
