"""Reports as JSON-ready dicts: dataclass fields, non-finite floats as None, arrays as lists."""

from __future__ import annotations

import math
import copy
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np

__all__ = ["json_ready"]


def json_ready(report: Any, *, arrays: str | None = None) -> dict[str, Any]:
    """A report dataclass as a JSON-ready dict.

    Args:
        report: a dataclass instance (``EvalReport``, ``PLLReport``, ``CompareReport``).
        arrays: the name of a field holding a dict of arrays (per-token records), written as lists.
    Returns:
        ``dataclasses.asdict(report)``, less each ``totals`` field (the mergeable sums behind the figures) and
        ``ray`` field (how a Ray run ran: nodes, blocks; not a figure), with each top-level non-finite float (an overflowed perplexity) as None.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class R:
    ...     ppl: float
    >>> json_ready(R(float("inf")))
    {'ppl': None}
    """
    out = _plain(report)
    for key, value in out.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
    if arrays is not None and out.get(arrays) is not None:
        out[arrays] = {k: np.asarray(v).tolist() for k, v in out[arrays].items()}
    return out


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` that leaves out ``totals`` and ``ray`` fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.name not in ("totals", "ray")}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return copy.deepcopy(value)
