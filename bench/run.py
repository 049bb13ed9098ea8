"""Benchmark fillmask_np against PyTorch eager: tokens/s, peak RSS, GFLOP/s, masked CE, start-up time.

    python bench/run.py                  # full run: bert-mini + BERT-base, batch 1/8/32 x 128, splade-tiny on WikiText
    python bench/run.py --quick          # 1 round, batch 8 only (development)
    python bench/run.py --skip-base --rounds 3 --cache /tmp/fm-bench --out bench/RESULTS.md

Dev-only (imports torch and transformers). Paths: PyTorch eager, ONNX Runtime on the default export, on the
optimized one and its static int8 version, and the pure-NumPy backend on the model's Hugging Face checkpoint,
twice: on the BLAS kernels the environment configures, and in a worker subprocess without OPENBLAS_CORETYPE on
OpenBLAS's own choice for the CPU (``_kernels.py``).
Every path of a shape gets the same masked ids and labels; paths are
timed round-robin over --rounds rounds (median and min-max); each path's peak RSS is measured in a fresh
subprocess running that path alone. Exports and checkpoints are cached in --cache, never in the repository; only
--out is written into bench/. Exit status 1 when an fp32 path's masked CE is not within 1e-5 of PyTorch's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]  # the checkout's fillmask_np, and the _*.py helpers

import _cases  # noqa: E402
import _kernels  # noqa: E402
import _measure  # noqa: E402
import _report  # noqa: E402
from _paths import warm_up  # noqa: E402

METHOD = (
    "Method: one process, paths interleaved round-robin (a short untimed warm-up each; a {settle:g} s pause before "
    "each timing so that the previous path's thread pools stop spinning). tokens/s counts real "
    "(non-padding) tokens, specials included; the range is over rounds. x PyTorch = PyTorch's median time / the "
    "path's. Peak RSS: ru_maxrss of a fresh subprocess that imports, loads and runs that path alone. GFLOP/s: "
    "analytic matmul FLOPs (encoder 8h^2 + 4hi per token and layer + 4L^2h per row and layer; head 2h^2 + 2hV per "
    "row, on every real token, or on masked rows only for the optimized paths, whose last feed-forward block is "
    "counted on masked rows too when the optimizer moved it behind the gather) over the median time, against a "
    "{peak:.0f} GFLOP/s fp32 peak; int8 rows count the same FLOPs. int8: `optimize_model(int8=True)`, static "
    "(calibrated, batch-invariant) quantization. CE: masked cross-entropy on identical masks; "
    "fp32 paths must agree with PyTorch within 1e-5 relative, int8 shows its relative change. PyTorch: "
    "`torch.set_num_threads(2)`, `BertForMaskedLM(..., labels=...)` under `torch.inference_mode()`; fillmask_np: "
    "library defaults as `fm.evaluate` uses them (`OnnxMaskedLM(path).masked_logits`: the default export computes "
    "[B, L, V] logits and the masked rows are gathered, the optimized models compute the [M, V] rows only; "
    "`fm.cross_entropy` on those rows; `fm.evaluate`). NumPy backend: `fm.NumpyMaskedLM` on the same model saved "
    "by `save_pretrained(safe_serialization=True)` (weights memory-mapped; batch-invariant float32: each sequence "
    "at its true length, one matrix product per sequence with BLAS on one thread, sequences of one length grouped, "
    "the groups in parallel on every CPU; the LM head in float64 on the masked rows only), the same "
    "`masked_logits` and `fm.cross_entropy` calls. It is measured on two BLAS kernel sets in the same run: "
    "in this process, on the kernels the environment configures (OPENBLAS_CORETYPE forces them where it is "
    "set), and, in the round-robin too, in a worker subprocess started without OPENBLAS_CORETYPE, on OpenBLAS's "
    "own choice for this CPU (the parent sends it each measurement's batches and waits idle; the worker's own "
    "timer gives the seconds; its peak RSS subprocess runs without the variable too). Each NumPy row names "
    "the kernels threadpoolctl reported where it ran."
)


_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.0f} s] {msg}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1 round, batch 8 only, 100 real lines (development)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5; 1 with --quick)")
    p.add_argument("--out", type=Path, default=BENCH / "RESULTS.md", help="results file (default bench/RESULTS.md)")
    p.add_argument("--skip-base", action="store_true", help="skip BERT-base (its export is big and slow)")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "fillmask_np_bench",
                   help="directory for the exported ONNX models and checkpoints (default ~/.cache/fillmask_np_bench)")
    p.add_argument("--seed", type=int, default=0, help="weights and masking seed")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32], help="batch sizes (x 128 tokens)")
    p.add_argument("--min-tokens", type=int, default=4096, help="tokens per measurement (whole batches)")
    p.add_argument("--lines", type=int, default=400, help="WikiText lines for the real section")
    p.add_argument("--real-batch-size", type=int, default=16, help="batch size of the real section")
    p.add_argument("--startup-repeats", type=int, default=7, help="subprocess runs per start-up time")
    p.add_argument("--settle", type=float, default=0.25, help="pause in seconds before each timing (default 0.25)")
    p.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    p.add_argument("--rss-child", help=argparse.SUPPRESS)  # internal: run one path alone, print its peak RSS
    p.add_argument("--path-worker", help=argparse.SUPPRESS)  # internal: serve one path's runs (_kernels.serve)
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.quick:
        args.rounds, args.batches, args.min_tokens, args.lines = 1, [8], 1024, 100
    if args.cache.resolve().is_relative_to(ROOT):
        p.error(f"--cache {args.cache} is inside the repository; pass a directory outside it")
    return args


def rss_child(spec: str) -> None:
    runner, work = _cases.child_runner(json.loads(spec))
    runner(work)
    print(f"PEAK_RSS_MIB {_measure.peak_rss_mib():.1f}", flush=True)


def measure(cases: list, rounds: int, settle: float) -> None:
    """Warm up every case, then time them round-robin; CE comes from the last run. Before each timing, a pause of
    ``settle`` seconds lets the previous path's thread pools (OpenMP, ONNX Runtime) stop spin-waiting."""
    for c in cases:
        if c.run is None:
            continue
        log(f"warm-up {c.model} {c.shape} {c.path}")
        try:
            warm_up(c.run, c.work)
        except Exception as exc:  # a path under construction in the library: report it, measure the rest
            c.run, c.skipped = None, f"failed: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
            log(f"SKIPPED {c.model} {c.shape} {c.path}: {c.skipped}")
    live = [c for c in cases if c.run is not None]
    for r in range(rounds):
        for c in live:
            time.sleep(settle)
            seconds, c.outcome = _measure.timed(lambda c=c: c.run(c.work))
            c.seconds.append(seconds if c.outcome.seconds is None else c.outcome.seconds)  # a worker's own timer
            c.loss_s.append(c.outcome.loss_s)
        log(f"round {r + 1}/{rounds} done")


def rows_of(cases: list, script: Path, with_rss: bool) -> list[dict]:
    rows = []
    for c in cases:
        row = dict(section=c.section, model=c.model, shape=c.shape, path=_cases.PATH_LABELS[c.path],
                   kind=_cases.KINDS.get(c.path, "fp32"))
        if c.run is None:
            rows.append(dict(row, skipped=c.skipped))
            continue
        env = _kernels.env_for(c.path)
        rss, why = _measure.child_peak_rss(script, c.rss, env=env) if with_rss else (None, "")
        if with_rss:
            log(f"peak RSS {c.model} {c.shape} {c.path}: {why or f'{rss:.0f} MiB'}")
        loss = sorted(c.loss_s)[len(c.loss_s) // 2] if any(c.loss_s) else None
        kernels = {"kernels": c.run.kernels} if hasattr(c.run, "kernels") else {}  # the NumPy paths' BLAS
        rows.append(dict(row, seconds=_measure.spread(c.seconds), tokens=c.tokens, flops=c.flops, rss_mib=rss,
                         ce=c.outcome.ce, loss_s=loss, **kernels))
    return rows


def warnings(args: argparse.Namespace, load_start: float) -> list[str]:
    """Say so in the results when the numbers are not fit to quote."""
    out = []
    if args.quick or args.rounds < 3:
        out.append(f"{'--quick ' if args.quick else ''}development run with {args.rounds} round(s): no spread worth "
                   f"the name; run `python bench/run.py` for numbers to quote.")
    cores = os.cpu_count() or 1
    if load_start > 0.5 * cores:  # at the end the load is this run's own (its RSS subprocesses)
        out.append(f"the machine was busy (1-minute load average {load_start:.1f} at the start, {cores} cores): "
                   f"other processes shared the CPU, timings are noisy and pessimistic.")
    return out


def startup() -> dict:
    exe = Path(sys.executable)
    cli = exe.parent / "fillmask-np"
    cli_argv = [str(cli), "--help"] if cli.is_file() else [str(exe), "-m", "fillmask_np", "--help"]
    return {"python -c pass": [str(exe), "-c", "pass"], "python -c 'import fillmask_np'":
            [str(exe), "-c", "import fillmask_np"], "fillmask-np --help": cli_argv}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child)
        return 0
    if args.path_worker:
        _kernels.serve(args.path_worker)
        return 0
    load_start = os.getloadavg()[0]
    import _setup  # torch and transformers: only here, never in the fillmask_np RSS children

    cases, extras = _setup.build_cases(args)
    log(f"measuring {sum(c.run is not None for c in cases)} cases x {args.rounds} rounds ...")
    try:
        measure(cases, args.rounds, args.settle)
    finally:
        for c in cases:  # the worker subprocesses
            if isinstance(c.run, _kernels.WorkerPath):
                c.run.close()
    log("peak RSS subprocesses ..." if not args.no_rss else "peak RSS skipped (--no-rss)")
    rows = rows_of(cases, Path(__file__).resolve(), not args.no_rss)
    log("start-up times ...")
    extras["startup"] = {k: _measure.startup_seconds(v, args.startup_repeats) for k, v in startup().items()}
    extras.update(date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                  command=("python bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)).strip(),
                  machine=_measure.machine_info(), peak_gflops=_measure.PEAK_GFLOPS,
                  method=METHOD.format(peak=_measure.PEAK_GFLOPS, settle=args.settle))
    own = next((c.run.kernels for c in cases if isinstance(c.run, _kernels.WorkerPath)), None)
    if own:  # the second NumPy kernel set, beside numpy_blas (this process's)
        extras["machine"]["numpy_blas_worker"] = own["text"]
    extras["real_note"] = _setup.real_note(rows, args, extras.get("real_lengths"))
    extras["warnings"] = warnings(args, load_start)
    text = _report.render(rows, extras)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    bad = [r for r in rows if "skipped" not in r and not _report.ce_check(rows, r)[1]]
    for r in bad:
        print(f"CE MISMATCH: {r['model']} {r['shape']} {r['path']}: {r['ce']!r}", file=sys.stderr)
    print(f"wrote {args.out}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
