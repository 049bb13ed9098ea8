"""Ray on one box: throughput of ``fillmask_np.distributed.evaluate`` with 1 and 2 actors against single-process
``fm.evaluate``, and Ray's fixed start-up cost.

    python bench/ray_scaling.py                         # first 1500 lines of WikiText-2 test, 3 rounds
    python bench/ray_scaling.py --lines 400 --rounds 1  # quick
    python bench/ray_scaling.py --write                 # also write bench/RAY_RESULTS.md

Dev-only, no torch; needs the [ray] extra. Data: the first --lines lines of
../shared/real/wikitext-2-raw/wiki.test.raw copied byte for byte into a temporary .txt file that every path reads
by its path; model ../shared/real/splade-tiny (ONNX) with its tokenizer; seed 0, other settings evaluate's
defaults. Paths, interleaved round-robin over --rounds rounds (median, min-max):

* single process: ``fm.evaluate`` with ONNX Runtime's default threads (one per core), and with 1 thread;
* Ray: ``fmd.evaluate(path, workers=W, cpus_per_worker=C)`` in a local Ray started once
  (``ray.init(num_cpus=cores)``); each run starts its own actor pool (W processes that import fillmask_np and
  load the model), numbers the samples on the driver and scores blocks of 256 samples; its time includes all of
  that.

Start-up, measured apart on a 1-sample corpus: ``ray.init`` of a local Ray; one ``fmd.evaluate`` in a fresh Ray
(init and shutdown included: what a one-off call pays); the same in a warm Ray (pool start, model load, data read,
scheduling). x single process: the single process's median time (ORT threads = cores) / the path's; x 1 thread:
the same against the single process on 1 thread. Every report must equal the single-process one (``to_dict()``),
or the script exits 1.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import fillmask_np as fm  # noqa: E402
from _workload import REAL_DIR, WIKI  # noqa: E402

OUT = BENCH / "RAY_RESULTS.md"
SPLADE = REAL_DIR / "splade-tiny"


def machine() -> str:
    """One line: CPU, cores, memory, versions, commit."""
    import numpy
    import onnxruntime
    import ray

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=BENCH).stdout.strip()
    return (f"cpu {cpu}, cores {os.cpu_count()}, memory {memory:.0f} GiB, python {platform.python_version()}, numpy "
            f"{numpy.__version__}, onnxruntime {onnxruntime.__version__}, ray {ray.__version__}, fillmask_np "
            f"{fm.__version__} (commit {commit}), load {os.getloadavg()[0]:.2f} at the start")


def timed(run: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    return time.perf_counter() - start, result


def startup(corpus: Path) -> dict[str, float]:
    """Ray's fixed costs on a 1-sample corpus: init; a call in a fresh Ray; a call in a warm one."""
    import ray

    import fillmask_np.distributed as fmd

    one = corpus.with_name("one.txt")
    one.write_text("The cat sat on the mat.\n", encoding="utf-8")
    call = lambda: fmd.evaluate(one, model=SPLADE, workers=1, seed=0, progress=False)  # noqa: E731
    fresh, _ = timed(call)  # starts and stops a local Ray itself
    init, _ = timed(lambda: ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False))
    warm, _ = timed(call)
    return {f"ray.init (local Ray, {os.cpu_count()} CPUs)": init,
            "1-sample fmd.evaluate, fresh Ray (init and shutdown included)": fresh,
            "1-sample fmd.evaluate, warm Ray (pool start, model load, read, schedule)": warm}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1500, help="first N lines of wiki.test.raw (default 1500)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(BENCH.parent)}")
    args = parser.parse_args()
    if not (SPLADE / "model.onnx").is_file() or not WIKI.is_file():
        print(f"skipped: {SPLADE} or {WIKI} is absent (../shared/real is not beside the checkout)")
        return 0
    try:
        import ray
    except ImportError:
        print("skipped: Ray is not installed: pip install '.[ray]'")
        return 0
    import fillmask_np.distributed as fmd

    header = machine()
    tok = fm.Tokenizer.from_dir(SPLADE)
    models = {"default": fm.OnnxMaskedLM(SPLADE / "model.onnx"), "1": fm.OnnxMaskedLM(SPLADE / "model.onnx", threads=1)}
    with tempfile.TemporaryDirectory() as root:
        corpus = Path(root) / "wiki.txt"
        corpus.write_bytes(b"".join(WIKI.read_bytes().splitlines(keepends=True)[:args.lines]))
        costs = startup(corpus)  # leaves a warm local Ray
        paths = {
            ("single process", "ORT threads = cores"): lambda: fm.evaluate(models["default"], tok, corpus, seed=0),
            ("single process", "ORT 1 thread"): lambda: fm.evaluate(models["1"], tok, corpus, seed=0),
            **{("Ray", f"{w} actor{'s' * (w > 1)} x {c} CPU{'s' * (c > 1)}"):
               (lambda w=w, c=c: fmd.evaluate(corpus, model=SPLADE, workers=w, cpus_per_worker=c, seed=0,
                                              progress=False))
               for w, c in ((1, 1), (2, 1), (1, 2))},
        }
        times: dict[tuple[str, str], list[float]] = {key: [] for key in paths}
        reports = {}
        for r in range(args.rounds):
            for key, run in paths.items():
                seconds, reports[key] = timed(run)
                times[key].append(seconds)
                print(f"round {r + 1}: {key[0]}, {key[1]}: {seconds:.2f} s", flush=True)
        ray.shutdown()
    reference = reports[next(iter(paths))]
    same = {key: report.to_dict() == reference.to_dict() for key, report in reports.items()}
    base = statistics.median(times[next(iter(paths))])
    one = statistics.median(times[("single process", "ORT 1 thread")])
    rows = ["| path | workers | median s (min-max) | samples/s | masked tokens/s | x single process | x 1 thread |",
            "|---|---|---|---|---|---|---|"]
    for key, seconds in times.items():
        median = statistics.median(seconds)
        rows.append(f"| {key[0]} | {key[1]} | {median:.2f} ({min(seconds):.2f}-{max(seconds):.2f}) | "
                    f"{reference.n_samples / median:.1f} | {reference.n_masked / median:,.0f} | {base / median:.2f}x | "
                    f"{one / median:.2f}x |")
    setup = ["| start-up cost (1-sample corpus, splade-tiny) | seconds |", "|---|---|"]
    setup += [f"| {name} | {seconds:.2f} |" for name, seconds in costs.items()]
    command = "python bench/ray_scaling.py" + "".join(f" --{k} {v}" for k, v in (("lines", args.lines),
                                                                                ("rounds", args.rounds)))
    work = (f"{reference.n_samples} samples ({reference.n_empty} empty lines skipped), {reference.n_tokens:,} "
            f"tokens, {reference.n_masked:,} masked; every report equal to the single-process one: "
            f"{'yes' if all(same.values()) else 'NO: ' + str([k for k, v in same.items() if not v])}")
    text = "\n".join([
        "# fillmask_np on Ray: scaling on one box", "",
        f"Generated by `bench/ray_scaling.py` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. "
        f"Command:", "", "```bash", command + " --write", "```", "",
        f"Machine: {header}.", "", "Method: " + " ".join(" ".join(__doc__.split("\n\n")[2:5]).split()), "",
        f"Work: first {args.lines} lines of WikiText-2 test; {work}.", "", *rows, "", *setup, ""])
    print(text)
    if args.write:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
