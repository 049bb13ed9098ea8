"""The results against issue 5's targets (and issue 20's for the NumPy backend): one table at the top of
RESULTS.md, copied into docs/performance.md.

Every figure is computed from the rows and extras of one ``bench/run.py`` run (ratios within that run).
"""

from __future__ import annotations

START, END = "<!-- perf-summary:start -->", "<!-- perf-summary:end -->"
SHAPE = "8x128"
MODELS = ("bert-base", "bert-mini")
# (label, path label in _cases.PATH_LABELS, targets for BERT-base and bert-mini)
SPEED_ROWS = (
    ("default, exact fp32 model", "fillmask_np default (fp32 export)", (1.6, 6.0)),
    ("optimized fp32 (masked-rows head)", "fillmask_np optimized (fp32, masked-rows head)", (1.8, 8.0)),
    ("optimized int8", "fillmask_np optimized static int8", (4.5, 12.0)),
)
NUMPY = "fillmask_np NumPy backend (HF checkpoint, masked-rows head)"
NUMPY_OWN = "fillmask_np NumPy backend, OpenBLAS's own kernels (subprocess without OPENBLAS_CORETYPE)"
# (label, the other path, or None for PyTorch eager; targets for BERT-base and bert-mini, None: no target)
NUMPY_ROWS = (
    ("NumPy backend vs ONNX Runtime default (fp32 export)", SPEED_ROWS[0][1], (1.0, 1.5)),
    ("NumPy backend vs ONNX Runtime optimized fp32", SPEED_ROWS[1][1], (None, None)),
    ("NumPy backend vs PyTorch eager", None, (1.2, None)),
)
NUMPY_RSS_SLACK_MB = 200.0  # target: peak RSS <= the checkpoint's size + 200 MB (the weights are memory-mapped)


def _find(rows: list[dict], section: str, model: str, path: str, shape: str | None = None) -> dict | None:
    for r in rows:
        if (r["section"] == section and r["model"] == model and r["path"] == path and "skipped" not in r
                and (shape is None or r["shape"] == shape)):
            return r
    return None


def _torch(rows: list[dict], model: str) -> dict | None:
    return next((r for r in rows if r["section"] == "synthetic" and r["model"] == model and r["shape"] == SHAPE
                 and r["kind"] == "torch" and "skipped" not in r), None)


def _ratio_cell(rows: list[dict], model: str, path: str, target: float | None, base_path: str | None = None) -> str:
    """Speed of ``path`` over ``base_path`` (PyTorch eager when None): the base's median time / the path's."""
    row = _find(rows, "synthetic", model, path, SHAPE)
    base = _torch(rows, model) if base_path is None else _find(rows, "synthetic", model, base_path, SHAPE)
    if row is None or base is None:
        return "not measured"
    ratio = base["seconds"]["median"] / row["seconds"]["median"]
    if target is None:
        return f"{ratio:.2f}x"
    return f"{ratio:.2f}x ({'met' if ratio >= target else 'missed'}; target >= {target:g}x)"


def _kernel_set(rows: list[dict], path: str) -> str:
    """How a NumPy path's label names its BLAS kernels, from its rows' ``kernels`` (``_kernels.blas_kernels``):
    ' on Haswell kernels (OPENBLAS_CORETYPE=Haswell)'; '' (or "OpenBLAS's own kernels") when not recorded."""
    seen = sorted({(r["kernels"]["arch"], r["kernels"]["how"]) for r in rows if r["path"] == path and r.get("kernels")})
    if not seen:
        return " on OpenBLAS's own kernels" if path == NUMPY_OWN else ""
    return " on " + " / ".join(f"{arch} kernels ({how})" for arch, how in seen)


def _numpy_rss_cell(rows: list[dict], model: str, checkpoints: dict, path: str = NUMPY) -> str:
    """A NumPy path's peak RSS against its checkpoint's size (model.safetensors), in MB (10^6 bytes)."""
    row, size = _find(rows, "synthetic", model, path, SHAPE), checkpoints.get(model)
    if row is None or not row.get("rss_mib") or not size:
        return "not measured"
    rss, ckpt = row["rss_mib"] * 2**20 / 1e6, size / 1e6
    over = rss - ckpt
    verdict = "met" if over <= NUMPY_RSS_SLACK_MB else "missed"
    return (f"{rss:,.0f} MB = checkpoint {ckpt:,.0f} MB {over:+,.0f} MB ({verdict}; target <= checkpoint + "
            f"{NUMPY_RSS_SLACK_MB:.0f} MB)")


def _rss_cell(rows: list[dict], model: str) -> str:
    base = _torch(rows, model)
    ours = [r for r in rows if r["section"] == "synthetic" and r["model"] == model and r["shape"] == SHAPE
            and r["kind"] != "torch" and r["path"] != NUMPY and "skipped" not in r and r.get("rss_mib")]
    if base is None or not base.get("rss_mib") or not ours:
        return "not measured"
    worst = max(r["rss_mib"] / base["rss_mib"] for r in ours)
    best = min(r["rss_mib"] / base["rss_mib"] for r in ours)
    return f"{best:.2f}x–{worst:.2f}x ({'met' if worst <= 0.5 else 'missed'}; target <= 0.5x)"


def _median(extras: dict, key: str) -> float | None:
    value = extras.get("startup", {}).get(key)
    return None if value is None else value["median"]


def summary(rows: list[dict], extras: dict) -> str:
    """The markdown table (without markers) of every issue-5 and NumPy-backend target and what this run reached."""
    lines = [f"| target ({SHAPE}, speed ratios in the same run, to PyTorch eager unless named) | BERT-base shape "
             f"| bert-mini shape |",
             "|---|---|---|"]
    for label, path, targets in SPEED_ROWS:
        cells = [_ratio_cell(rows, m, path, t) for m, t in zip(MODELS, targets)]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines.append(f"| peak RSS, fillmask_np ONNX paths / PyTorch | {_rss_cell(rows, MODELS[0])} | "
                 f"{_rss_cell(rows, MODELS[1])} |")
    for path in (NUMPY, NUMPY_OWN):  # the NumPy backend on each BLAS kernel set the run measured
        if not any(r["path"] == path for r in rows):
            continue
        kernels = _kernel_set(rows, path)
        for label, base_path, targets in NUMPY_ROWS:
            cells = [_ratio_cell(rows, m, path, t, base_path) for m, t in zip(MODELS, targets)]
            lines.append(f"| {label.replace('NumPy backend', 'NumPy backend' + kernels, 1)} | {cells[0]} | "
                         f"{cells[1]} |")
        checkpoints = extras.get("checkpoints", {})
        lines.append(f"| NumPy backend{kernels} peak RSS vs checkpoint size | "
                     f"{_numpy_rss_cell(rows, MODELS[0], checkpoints, path)} | "
                     f"{_numpy_rss_cell(rows, MODELS[1], checkpoints, path)} |")
    if any(r["path"] == NUMPY for r in rows) and any(r["path"] == NUMPY_OWN for r in rows):
        cells = [_ratio_cell(rows, m, NUMPY_OWN, None, NUMPY) for m in MODELS]
        lines.append(f"| NumPy backend{_kernel_set(rows, NUMPY_OWN)} / NumPy backend{_kernel_set(rows, NUMPY)} "
                     f"speed | {cells[0]} | {cells[1]} |")
    peak = extras.get("peak_gflops")
    base_fp32 = _find(rows, "synthetic", "bert-base", SPEED_ROWS[0][1], SHAPE)
    if base_fp32 and peak:
        pct = 100 * base_fp32["flops"] / base_fp32["seconds"]["median"] / 1e9 / peak
        lines.append(f"| fp32 share of the {peak:.0f} GFLOP/s peak, default path | {pct:.0f}% "
                     f"({'met' if pct >= 55 else 'missed'}; target >= 55%) | |")
    bucketed = _find(rows, "real", "splade-tiny", "fm.evaluate, length-bucketed (default export)")
    padded = _find(rows, "real", "splade-tiny", "same run padded to longest, file order")
    if bucketed and padded:
        ratio = padded["seconds"]["median"] / bucketed["seconds"]["median"]
        lines.append(f"| WikiText lengths, bucketed / padded in file order (splade-tiny) | {ratio:.2f}x "
                     f"({'met' if ratio >= 2 else 'missed'}; target >= 2x) | |")
    mini_opt = _find(rows, "synthetic", "bert-mini", SPEED_ROWS[1][1], SHAPE)
    if mini_opt and mini_opt.get("loss_s") is not None:
        share = 100 * mini_opt["loss_s"] / mini_opt["seconds"]["median"]
        lines.append(f"| NumPy loss share of wall time, optimized mini path | | {share:.1f}% "
                     f"({'met' if share <= 10 else 'missed'}; target <= 10%) |")
    bare = _median(extras, "python -c pass")
    for key, target in (("python -c 'import fillmask_np'", 0.150), ("fillmask-np --help", 0.300)):
        value = _median(extras, key)
        if value is not None:
            net = f", {1e3 * (value - bare):.0f} ms over a bare interpreter" if bare is not None else ""
            lines.append(f"| `{key}` wall time | {1e3 * value:.0f} ms{net} "
                         f"({'met' if value <= target else 'missed'}; target <= {1e3 * target:.0f} ms) | |")
    fp32 = _find(rows, "real", "splade-tiny", "fm.evaluate, bucketed, optimized fp32")
    int8 = _find(rows, "real", "splade-tiny", "fm.evaluate, bucketed, optimized static int8")
    if fp32 and int8:
        rel = (int8["ce"] - fp32["ce"]) / fp32["ce"]
        lines.append(f"| static int8 vs fp32 masked CE on splade-tiny, same masks | {100 * rel:+.3f}% "
                     f"({fp32['ce']:.5f} -> {int8['ce']:.5f} nats) | |")
    return "\n".join(lines)


def block(text: str, source: str) -> str:
    """The summary between its markers in ``text`` (RESULTS.md or docs/performance.md)."""
    if START not in text or END not in text:
        raise SystemExit(f"{source} has no {START} ... {END} block; run python bench/run.py")
    return text[text.index(START) + len(START) : text.index(END)].strip("\n")
