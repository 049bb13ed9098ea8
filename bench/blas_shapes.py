"""GFLOP/s of NumPy's BLAS, one thread, on the matrix products the NumPy backend runs (bert-mini and BERT-base at
8 x 128), and on the same products batched as one ONNX Runtime would run them: what the kernel set and batch
invariance (one product per sequence) cost.

    python bench/blas_shapes.py                        # the kernels this environment configures
    env -u OPENBLAS_CORETYPE python bench/blas_shapes.py   # OpenBLAS's own choice for the CPU

No torch; prints a markdown table. Each figure: the best of 7 timings of 10 products (process CPU time, so that
other processes on the machine count less), operands float32 [M, K] @ [K, N] as ``x @ weight.T`` (weight [N, K]),
or float64 for the LM head's decoder chunk.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _kernels import blas_kernels  # noqa: E402

# (what, M, K, N, dtype): a sequence's 128 rows (as the backend runs them) and a batch's 1024 rows (as one product)
SHAPES = (
    ("bert-mini attention projection", 128, 256, 256, np.float32),
    ("bert-mini feed-forward in", 128, 256, 1024, np.float32),
    ("bert-mini feed-forward out", 128, 1024, 256, np.float32),
    ("BERT-base attention projection", 128, 768, 768, np.float32),
    ("BERT-base feed-forward in", 128, 768, 3072, np.float32),
    ("BERT-base feed-forward out", 128, 3072, 768, np.float32),
    ("BERT-base feed-forward in, 8 sequences as one product", 1024, 768, 3072, np.float32),
    ("bert-mini LM head: a sequence's 19 masked rows x a decoder chunk (float64)", 19, 256, 512, np.float64),
)


def gflops(m: int, k: int, n: int, dtype: type) -> float:
    """Best GFLOP/s of ``x @ w.T``, [m, k] @ [k, n], over 7 timings of 10 products."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    out = np.empty((m, n), dtype=dtype)
    best = float("inf")
    for _ in range(7):
        start = time.process_time()
        for _ in range(10):
            np.matmul(x, w.T, out=out)
        best = min(best, (time.process_time() - start) / 10)
    return 2 * m * k * n / best / 1e9


def main() -> int:
    print(f"NumPy {np.__version__}, BLAS: {blas_kernels()['text']}, 1 thread\n")
    print("| product | M x K x N | GFLOP/s |\n|---|---|---:|")
    with threadpool_limits(limits=1, user_api="blas"):
        for what, m, k, n, dtype in SHAPES:
            print(f"| {what} | {m} x {k} x {n} | {gflops(m, k, n, dtype):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
