"""Run a verb shard by shard through partial files and merge them back (``fm.merge``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import fillmask_np as fm


def merged_over_shards(run: Callable[..., Any], n: int, *, suffixes: Sequence[str] = (".json",),
                       order: Sequence[int] | None = None) -> Any:
    """``fm.merge`` of ``run(shard=(i, n), partial=...)`` for i in 0..n-1, each partial with the i-th suffix
    (cycled), merged in ``order`` (default: reversed)."""
    with tempfile.TemporaryDirectory(prefix="fillmask_np_shards_") as root:
        paths = []
        for i in range(n):
            path = Path(root) / f"part-{i}{suffixes[i % len(suffixes)]}"
            report = run(shard=(i, n), partial=path)
            assert report.saved_partial["path"] == str(path)
            paths.append(path)
        order = list(reversed(range(n))) if order is None else list(order)
        return fm.merge([paths[i] for i in order])


def figures(report: Any, *drop: str) -> dict[str, Any]:
    """``report.to_dict()`` less its ``settings`` keys ``drop`` (the batching, which must not change a figure)."""
    out = report.to_dict()
    out["settings"] = {k: v for k, v in out["settings"].items() if k not in drop}
    for side in ("candidate", "reference"):
        if side in out:
            out[side].pop("settings", None)
    return out
