"""What to measure: one ``Case`` per (section, model, shape, path), with its runner, its inputs and its FLOPs.

``child_runner`` rebuilds a case's runner and inputs from its JSON ``rss`` spec in a fresh process, where only
the path under measurement is loaded (torch only for the PyTorch path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import fillmask_np as fm
from _kernels import OWN, WorkerPath, env_for
from _measure import path_flops
from _paths import EvaluatePath, FullLogitsPath, MaskedRowsPath, NumpyPath, PaddedEvalPath, TorchPath
from _workload import REAL_DIR, bucketed_batches, n_batches_for, real_lines, real_samples, synthetic_batches

LENGTH = 128
MAX_LENGTH = 512
PATH_LABELS = {
    "torch": "PyTorch eager (forward + loss)",
    "full": "fillmask_np default (fp32 export)",
    "masked": "fillmask_np optimized (fp32, masked-rows head)",
    "masked-int8": "fillmask_np optimized static int8",
    "numpy": "fillmask_np NumPy backend (HF checkpoint, masked-rows head)",
    OWN: "fillmask_np NumPy backend, OpenBLAS's own kernels (subprocess without OPENBLAS_CORETYPE)",
    "evaluate": "fm.evaluate, length-bucketed (default export)",
    "padded": "same run padded to longest, file order",
    "evaluate-opt": "fm.evaluate, bucketed, optimized fp32",
    "evaluate-int8": "fm.evaluate, bucketed, optimized static int8",
}
KINDS = {"torch": "torch", "masked-int8": "int8", "evaluate-int8": "int8"}


@dataclass
class Case:
    section: str
    model: str
    shape: str
    path: str  # a PATH_LABELS key
    run: Callable | None  # None when skipped
    work: object
    tokens: int
    flops: float
    rss: dict  # the spec a child process rebuilds the case from
    skipped: str = ""
    seconds: list = field(default_factory=list)
    loss_s: list = field(default_factory=list)
    outcome: object = None


def make_runner(kind: str, onnx: str | None, torch_model=None, real: dict | None = None) -> Callable:
    """The runner of a path (``real`` holds tok, lines, seed, batch_size for the evaluate paths; ``onnx`` is the
    checkpoint's model.safetensors for the NumPy path)."""
    if kind == "torch":
        return TorchPath(torch_model)
    if kind == "full":
        return FullLogitsPath(Path(onnx))
    if kind in ("masked", "masked-int8"):
        return MaskedRowsPath(Path(onnx))
    if kind == "numpy":
        return NumpyPath(Path(onnx).parent)
    if kind == OWN:  # the same NumpyPath in a worker subprocess on OpenBLAS's own kernel choice
        return WorkerPath(Path(__file__).resolve().parent / "run.py", dict(kind="numpy", onnx=onnx), env_for(OWN))
    cls = PaddedEvalPath if kind == "padded" else EvaluatePath
    return cls(Path(onnx), real["tok"], real["lines"], seed=real["seed"], batch_size=real["batch_size"],
               max_length=MAX_LENGTH)


def synthetic_cases(model: str, cfg: dict, batch: int, seed: int, min_tokens: int,
                    runners: dict[str, tuple[Callable | None, str | None, str]]) -> list[Case]:
    """The cases of one model at batch x 128 (``runners``: path -> (runner, onnx path, skip reason))."""
    n = n_batches_for(batch, LENGTH, min_tokens)
    work = synthetic_batches(batch, LENGTH, n, seed)
    tokens = sum(b.n_real for b in work)
    masked = sum(b.n_masked for b in work)
    lengths = [x for b in work for x in b.lengths]
    cases = []
    for path, (runner, onnx, why) in runners.items():
        flops = path_flops(cfg, lengths, masked, onnx, path.startswith(("masked", "numpy")))
        rss = dict(kind=path, model=model, onnx=onnx, batch=batch, n_batches=n, seed=seed)
        cases.append(Case("synthetic", model, f"{batch}x{LENGTH}", path, runner, work, tokens, flops, rss, why))
    return cases


def real_setup(n_lines: int, seed: int, batch_size: int) -> dict:
    tok = fm.Tokenizer.from_dir(REAL_DIR / "splade-tiny")
    lines = real_lines(n_lines)
    samples = real_samples(tok, lines, seed, MAX_LENGTH)
    return dict(tok=tok, lines=lines, seed=seed, batch_size=batch_size, samples=samples,
                batches=bucketed_batches(tok, samples, batch_size))


def real_cases(cfg: dict, real: dict, runners: dict[str, tuple[Callable | None, str | None, str]]) -> list[Case]:
    """splade-tiny on the real lines; FLOPs count the real tokens of the scored samples only (no padding)."""
    batches = real["batches"]
    tokens = sum(len(s[2]) for s in real["samples"])  # every line's real tokens, as EvalReport.n_tokens
    masked = sum(b.n_masked for b in batches)
    lengths = [x for b in batches for x in b.lengths]
    shape = f"{len(real['lines'])} lines, batch {real['batch_size']}"
    cases = []
    for path, (runner, onnx, why) in runners.items():
        flops = path_flops(cfg, lengths, masked, onnx, path.endswith(("opt", "int8")))
        rss = dict(kind=path, model="splade-tiny", onnx=onnx, lines=len(real["lines"]), seed=real["seed"],
                   batch_size=real["batch_size"])
        cases.append(Case("real", "splade-tiny", shape, path, runner, batches, tokens, flops, rss, why))
    return cases


def child_runner(spec: dict) -> tuple[Callable, object]:
    """Rebuild one case's runner and inputs from its ``rss`` spec (in a fresh process; for ``numpy-own`` one
    whose environment ``env_for`` made, so the NumPy path runs in it directly)."""
    kind, torch_model = ("numpy" if spec["kind"] == OWN else spec["kind"]), None
    if kind == "torch":
        import torch

        import _models

        torch.set_num_threads(2)
        torch_model = _models.build_torch(spec["model"], spec["seed"])
    if "lines" in spec:
        real = real_setup(spec["lines"], spec["seed"], spec["batch_size"])
        return make_runner(kind, spec["onnx"], torch_model, real), real["batches"]
    work = synthetic_batches(spec["batch"], LENGTH, spec["n_batches"], spec["seed"])
    return make_runner(kind, spec["onnx"], torch_model), work
