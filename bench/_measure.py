"""Timing, peak RSS in fresh subprocesses, start-up times, analytic FLOPs, machine facts."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

PEAK_GFLOPS = 330.0  # fp32 peak of the 2-core reference machine


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of a measurement's rounds."""
    return dict(median=statistics.median(values), min=min(values), max=max(values), n=len(values))


def interleaved(paths: dict[str, Callable[[], object]], rounds: int) -> tuple[dict[str, object], dict[str, list[float]]]:
    """Run every path once per round, round after round (a shared machine's load hits all paths alike): each path's
    last result and its seconds per round."""
    results: dict[str, object] = {}
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, run in paths.items():
            took, results[name] = timed(run)
            seconds[name].append(took)
    return results, seconds


def speedup_rows(seconds: dict[str, list[float]], count: int, unit: str) -> list[str]:
    """A markdown table of each path's median seconds, ``unit``s per second and speed-up over the first path."""
    rows = [f"| path | median seconds | {unit}/s | speed-up over the first path |", "|---|---:|---:|---:|"]
    base = statistics.median(next(iter(seconds.values())))
    for name, values in seconds.items():
        median = statistics.median(values)
        rows.append(f"| {name} | {median:.3f} | {count / median:,.1f} | {base / median:.1f}x |")
    return rows


def peak_rss_mib() -> float:
    """This process's peak resident set size (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Linux carries ru_maxrss over fork + exec: a child of this (big) process would report at least this process's
# RSS. So the child is started by a small launcher interpreter, whose few MiB are below any child's peak.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def child_peak_rss(script: Path, spec: dict, timeout: float = 1800,
                   env: dict[str, str] | None = None) -> tuple[float | None, str]:
    """Run ``script --rss-child SPEC`` (one path alone, fresh interpreter, in ``env`` when given); returns
    (peak RSS MiB, error)."""
    argv = [sys.executable, "-c", _LAUNCHER, sys.executable, str(script), "--rss-child", json.dumps(spec)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("PEAK_RSS_MIB "):
            return float(line.split()[1]), ""
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return None, f"exit {proc.returncode}: {tail}"


def startup_seconds(argv: list[str], repeats: int) -> dict[str, float]:
    """Wall time of a fresh subprocess (median and spread of ``repeats`` runs, after one warm-up)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    subprocess.run(argv, capture_output=True, check=True, env=env)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return spread(times)


# ----------------------------------------------------------------------------- FLOPs
def encoder_flops(cfg: dict, lengths: np.ndarray) -> float:
    """Matmul FLOPs of the encoder on rows of these (real) lengths.

    Per layer and token: Q, K, V and output projections 4 * 2h^2, feed-forward 2 * 2hi; per layer and row of
    length L: scores and weighted sum 2 * 2 L^2 h.
    """
    h, i, layers = cfg["hidden"], cfg["intermediate"], cfg["layers"]
    lengths = np.asarray(lengths, dtype=np.float64)
    per_layer = lengths.sum() * (8 * h * h + 4 * h * i) + 4 * h * np.square(lengths).sum()
    return float(layers * per_layer)


def head_flops(cfg: dict, rows: int) -> float:
    """MLM head on ``rows`` positions: dense transform 2h^2 + decoder 2hV per row."""
    h, v = cfg["hidden"], cfg["vocab"]
    return float(rows) * (2 * h * h + 2 * h * v)


def path_flops(cfg: dict, lengths, masked: int, onnx: str | None, gathered: bool) -> float:
    """FLOPs of one pass over rows of these real lengths: the head on every token, or, for a masked-rows model,
    on the masked rows only (and the last feed-forward block too when the optimizer moved it behind the gather)."""
    flops = encoder_flops(cfg, lengths)
    tokens = int(np.sum(lengths))
    if not gathered:
        return flops + head_flops(cfg, tokens)
    if head_matmuls(onnx) >= 4:
        flops -= (tokens - masked) * 4 * cfg["hidden"] * cfg["intermediate"]
    return flops + head_flops(cfg, masked)


REPORT = "optimize_report.json"  # OptimizeReport.to_dict() of a cached optimized model, beside it


def head_matmuls(onnx: str | None) -> int:
    """MatMuls that run on masked rows only in an optimized model (2 = the MLM head; 4 = also the last
    feed-forward block), from the optimize report beside it; 2 when unknown."""
    try:
        report = json.loads((Path(onnx).parent / REPORT).read_text(encoding="utf-8"))
        return int(report["head_ops"].get("MatMul", 2))
    except (TypeError, OSError, ValueError, KeyError, AttributeError):
        return 2


# ----------------------------------------------------------------------------- machine
def machine_info() -> dict[str, str]:
    import numpy
    import onnxruntime

    import fillmask_np

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 2**20:.0f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    info = dict(cpu=cpu, cores=str(os.cpu_count()), memory=memory, python=platform.python_version(),
                numpy=numpy.__version__, onnxruntime=onnxruntime.__version__,
                fillmask_np=f"{fillmask_np.__version__} ({_git_revision(Path(fillmask_np.__file__).parent)})")
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():  # NumPy's BLAS and the kernels it runs (OPENBLAS_CORETYPE can force older ones)
        if lib.get("user_api") == "blas":
            forced = os.environ.get("OPENBLAS_CORETYPE")
            info["numpy_blas"] = (f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture')} kernels"
                                  + (f" (OPENBLAS_CORETYPE={forced})" if forced else ""))
            break
    try:
        import torch
        import transformers

        info.update(torch=torch.__version__, transformers=transformers.__version__,
                    torch_threads=str(torch.get_num_threads()))
    except ImportError:
        pass
    return info


def _git_revision(directory: Path) -> str:
    """Short commit of the checkout, '+ local changes' when it has any; 'no git' outside a repository."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=directory, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "no git"
    return f"commit {head}{' + local changes' if dirty else ''}"
