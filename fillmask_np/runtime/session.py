"""An ONNX Runtime session as ``OnnxMaskedLM`` opens it: CPU by default, bounded threads, quiet logs."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Sequence

from ..errors import FillMaskWarning, ModelError, first_line
from ..limits import check_count

__all__ = ["open_session", "check_threads", "cpu_count"]


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_threads(threads: Any) -> int | None:
    """``threads`` as a thread count (None: ONNX Runtime's choice), capped at the CPU count with a warning.

    >>> check_threads(None) is None
    True
    """
    if threads is None:
        return None
    threads = check_count("threads", threads, hint="or None for ONNX Runtime's choice", error=ModelError)
    cpus = cpu_count()
    if threads > cpus:
        warnings.warn(f"threads={int(threads)} is more than the {cpus} CPUs this process may use; using {cpus}",
                      FillMaskWarning, stacklevel=3)
        return cpus
    return int(threads)


def open_session(path: Path, *, providers: Sequence[str] | None, threads: int | None,
                 allow_spinning: bool | None) -> Any:
    """An ``onnxruntime.InferenceSession`` of ``path``; ``ModelError`` with ONNX Runtime's reason when it fails."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.inter_op_num_threads = 1  # the graph runs sequentially: extra inter-op threads only compete
    threads = check_threads(threads)
    if threads is not None:
        options.intra_op_num_threads = threads
    if allow_spinning is not None:
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if allow_spinning else "0")
    try:
        return ort.InferenceSession(str(path), options, providers=list(providers or ["CPUExecutionProvider"]))
    except Exception as exc:  # onnxruntime raises its own exception types for every failure
        raise ModelError(f"onnxruntime cannot load {str(path)!r} as an ONNX model ({first_line(exc)}); "
                         f"export the model to ONNX first (see the README)") from exc
