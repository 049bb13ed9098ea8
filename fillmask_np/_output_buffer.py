"""Run an ONNX Runtime session into a reused output buffer (IO binding), for logits that are only read once.

A full-vocabulary logits output is large ([8, 128, 30522] float32 is 125 MB); a fresh array per run costs a
page fault per 4 KiB on first touch. ``OutputBuffer.run`` binds the output to one growing buffer kept for the
session's lifetime instead. The returned array is overwritten by the next run: callers copy what they keep
(``OnnxMaskedLM.masked_logits`` gathers the masked rows, a copy, while holding the buffer's lock).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


class OutputBuffer:
    """A reusable buffer for one float output of ``session``; ``lock`` guards it and its views."""

    def __init__(self, session: Any, output_name: str) -> None:
        self.session = session
        self.output_name = output_name
        kind = next(o.type for o in session.get_outputs() if o.name == output_name)
        self.dtype = _DTYPES.get(kind)
        self.lock = threading.Lock()
        self._flat: np.ndarray | None = None
        self.width: int | None = None  # the output's last dimension, learned from the first plain run

    def run(self, feed: dict[str, np.ndarray], rows: int, length: int) -> np.ndarray | None:
        """The [rows, length, V] output for ``feed`` in the reused buffer; None until V is known (run plainly).

        Call with ``lock`` held and finish reading the result before releasing it.
        """
        if self.width is None or self.dtype is None:
            return None
        shape = (rows, length, self.width)
        size = rows * length * self.width
        if self._flat is None or self._flat.size < size:
            self._flat = np.empty(size, dtype=self.dtype)
        out = self._flat[:size].reshape(shape)
        binding = self.session.io_binding()
        for name, value in feed.items():
            binding.bind_cpu_input(name, value)
        binding.bind_output(self.output_name, "cpu", 0, self.dtype, shape, out.ctypes.data)
        self.session.run_with_iobinding(binding)
        return out
