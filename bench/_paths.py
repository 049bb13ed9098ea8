"""The measured paths. Each is a callable: ``path(work) -> Outcome`` (summed NLL of the masked tokens, their count,
seconds spent in the NumPy loss). ``work`` is a list of ``Batch`` for the batch paths, ignored by the evaluate ones.

torch is imported only by ``TorchPath``, so fillmask_np paths run torch-free in their RSS subprocesses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import fillmask_np as fm
from _workload import EVAL_LOGITS_BUDGET, Batch, padded_batches, real_samples


@dataclass
class Outcome:
    nll: float  # summed NLL (nats) over the masked tokens, float64
    n_masked: int
    loss_s: float = 0.0  # seconds in fillmask_np's NumPy loss
    seconds: float | None = None  # the run's wall time as a worker subprocess timed it (None: timed by the caller)

    @property
    def ce(self) -> float:
        return self.nll / self.n_masked


class TorchPath:
    """PyTorch eager ``BertForMaskedLM(..., labels=...)``: forward + the model's own (mean) loss."""

    def __init__(self, model) -> None:
        import torch

        self.torch, self.model = torch, model

    def __call__(self, batches: list[Batch]) -> Outcome:
        t = self.torch
        nll, count = 0.0, 0
        with t.inference_mode():
            for b in batches:
                out = self.model(input_ids=t.from_numpy(b.input_ids), attention_mask=t.from_numpy(b.attention_mask),
                                 token_type_ids=t.from_numpy(b.token_type_ids), labels=t.from_numpy(b.labels))
                nll += float(out.loss) * b.n_masked
                count += b.n_masked
        return Outcome(nll, count)


class FullLogitsPath:
    """fillmask_np default, as ``evaluate`` runs an unmodified export: ``OnnxMaskedLM.masked_logits`` (the model
    computes [B, L, V] logits, the masked rows are gathered and the full array freed at once), then
    ``fm.cross_entropy`` on the [M, V] rows."""

    def __init__(self, path: Path) -> None:
        self.model = fm.OnnxMaskedLM(path)

    def __call__(self, batches: list[Batch]) -> Outcome:
        nll, count, loss_s = 0.0, 0, 0.0
        for b in batches:
            positions = np.argwhere(b.labels != -100)  # [M, 2] int64, row-major
            rows = self.model.masked_logits(b.input_ids, b.attention_mask, b.token_type_ids, positions)  # [M, V]
            start = time.perf_counter()
            nll += fm.cross_entropy(rows, b.labels[positions[:, 0], positions[:, 1]], reduction="sum")
            loss_s += time.perf_counter() - start
            count += len(positions)
        return Outcome(nll, count, loss_s)


class MaskedRowsPath(FullLogitsPath):
    """fillmask_np on an optimized model: the same calls, but the model computes the [M, V] masked rows only."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        if not getattr(self.model, "gathers_positions", False):
            raise RuntimeError(f"{path} is not a masked-rows model (OnnxMaskedLM.gathers_positions is not true)")


class NumpyPath(FullLogitsPath):
    """The pure-NumPy backend on the model's Hugging Face checkpoint (``fm.NumpyMaskedLM``, weights memory-mapped):
    the same ``masked_logits`` + ``fm.cross_entropy`` calls; its LM head runs on the masked rows only."""

    def __init__(self, path: Path) -> None:
        from _kernels import blas_kernels

        self.model = fm.NumpyMaskedLM(path)
        self.kernels = blas_kernels()  # the BLAS kernels this process runs (OPENBLAS_CORETYPE can force them)


class EvaluatePath:
    """``fm.evaluate`` on the real lines: tokenizing, per-sample masking, length bucketing, forward, loss."""

    def __init__(self, path: Path, tok: fm.Tokenizer, lines: list[str], *, seed: int, batch_size: int,
                 max_length: int) -> None:
        self.model, self.tok, self.lines = fm.OnnxMaskedLM(path), tok, lines
        self.kw = dict(seed=seed, batch_size=batch_size, max_length=max_length, progress=False)

    def __call__(self, _work=None, limit: int | None = None) -> Outcome:
        report = fm.evaluate(self.model, self.tok, self.lines, limit=limit, **self.kw)
        return Outcome(report.cross_entropy * report.n_masked, report.n_masked)


class PaddedEvalPath(EvaluatePath):
    """The same run without bucketing: same tokenizing, masks, batch size and logits budget as evaluate, but
    batches in file order, each padded to the longest line of the set."""

    def __call__(self, _work=None, limit: int | None = None) -> Outcome:
        kw = self.kw
        self.vocab = self.model.vocab_size or len(self.tok)
        samples = real_samples(self.tok, self.lines[:limit], kw["seed"], kw["max_length"])
        nll, count = 0.0, 0
        for b in padded_batches(self.tok, samples, kw["batch_size"]):
            rows = max(1, EVAL_LOGITS_BUDGET // (b.input_ids.shape[1] * self.vocab))  # evaluate's passes
            for s in range(0, len(b.input_ids), rows):
                part = slice(s, s + rows)
                logits = self.model(b.input_ids[part], b.attention_mask[part], b.token_type_ids[part])
                nll += fm.cross_entropy(logits, b.labels[part], reduction="sum")
            count += b.n_masked
        return Outcome(nll, count)


def warm_up(runner, work) -> None:
    """One short untimed run (first batch, or the first lines): ONNX Runtime's and torch's first-run set-up."""
    if isinstance(runner, EvaluatePath):
        runner(None, limit=2 * runner.kw["batch_size"])
    else:
        runner(work[:1])
