"""The NumPy path on OpenBLAS's own kernel choice, beside the one on the kernels the environment configures.

This environment may force OpenBLAS's kernels (``OPENBLAS_CORETYPE=Haswell`` on the AVX-512 reference machine);
OpenBLAS reads the variable once, when it loads, so the other kernel set cannot run in this process. The
``numpy-own`` path runs the same ``NumpyPath`` in a worker subprocess started without the variable: the parent
sends it each measurement's batches (their int64 arrays, as JSON) over a pipe, the worker runs and times them
itself and answers with its seconds and outcome. It is timed in the same round-robin as the in-process paths,
the parent waiting idle meanwhile. Each NumPy row records the kernels threadpoolctl saw where it ran.

Nothing here changes the variable for the library or its tests: only this subprocess's environment lacks it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FORCED = "OPENBLAS_CORETYPE"
OWN = "numpy-own"  # the path key (``_cases.PATH_LABELS``) of the NumPy path on OpenBLAS's own kernels
_REPLY = "PATH_WORKER "  # prefix of the worker's protocol lines (anything else on its stdout is passed through)
_ARRAYS = ("input_ids", "attention_mask", "token_type_ids", "labels")


def env_for(kind: str) -> dict[str, str] | None:
    """The environment a path's subprocesses run in: without ``OPENBLAS_CORETYPE`` for ``numpy-own``, else
    None (inherit this process's)."""
    if kind != OWN:
        return None
    return {k: v for k, v in os.environ.items() if k != FORCED}


def blas_kernels() -> dict[str, str]:
    """This process's BLAS as threadpoolctl reports it: ``arch`` (the kernel set, e.g. 'Haswell'), ``how`` they
    were chosen ('OPENBLAS_CORETYPE=Haswell' or "OpenBLAS's own choice") and ``text`` naming the library and its
    version too."""
    from threadpoolctl import threadpool_info

    forced = os.environ.get(FORCED)
    how = f"{FORCED}={forced}" if forced else "OpenBLAS's own choice"
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            arch = str(lib.get("architecture") or "unknown")
            return dict(arch=arch, how=how,
                        text=f"{lib.get('internal_api')} {lib.get('version')} {arch} kernels ({how})")
    return dict(arch="unknown", how=how, text=f"no BLAS found ({how})")


class WorkerPath:
    """``run.py --path-worker SPEC`` as a path: ``path(batches) -> Outcome`` with the worker's own timing in
    ``Outcome.seconds``. ``kernels`` is the worker's ``blas_kernels()``."""

    def __init__(self, script: Path, spec: dict, env: dict[str, str] | None) -> None:
        self.proc = subprocess.Popen([sys.executable, str(script), "--path-worker", json.dumps(spec)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.kernels = self._read()["kernels"]

    def __call__(self, batches: list) -> object:
        from _paths import Outcome

        request = [{name: getattr(b, name).tolist() for name in _ARRAYS} for b in batches]
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        return Outcome(reply["nll"], reply["n_masked"], reply["loss_s"], seconds=reply["seconds"])

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(_REPLY):
                return json.loads(line[len(_REPLY):])
            print(line, end="", flush=True)  # the worker's own output
        raise RuntimeError(f"the {OWN} worker exited with status {self.proc.wait()} (its stderr is above)")

    def close(self) -> None:
        """End the worker (idempotent)."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _say(**reply: object) -> None:
    print(_REPLY + json.dumps(reply), flush=True)


def serve(spec: str) -> None:
    """The worker: build the path of ``spec`` (JSON: kind, onnx) here, say which kernels run, then run every
    request line (a list of batches' arrays) and answer its seconds and outcome, until stdin closes."""
    import _cases
    from _workload import Batch

    info = json.loads(spec)
    runner = _cases.make_runner(info["kind"], info["onnx"])
    _say(kernels=blas_kernels())
    for line in sys.stdin:
        batches = [Batch(*(np.asarray(b[name], dtype=np.int64) for name in _ARRAYS)) for b in json.loads(line)]
        start = time.perf_counter()
        out = runner(batches)
        seconds = time.perf_counter() - start
        _say(seconds=seconds, nll=out.nll, n_masked=out.n_masked, loss_s=out.loss_s)
