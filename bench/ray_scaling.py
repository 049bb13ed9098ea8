"""Ray across two nodes: pseudo-perplexity of the first --lines WikiText-2 test lines with splade-tiny, one process
with one thread against a 2-node Ray cluster of 1 CPU per node, start-up measured apart, and what it implies for N
machines.

    python bench/ray_scaling.py                          # first 300 lines, 2 rounds, the optimized export
    python bench/ray_scaling.py --lines 40 --rounds 1    # quick
    python bench/ray_scaling.py --export default         # splade-tiny's own model.onnx (~6x the work, see below)
    python bench/ray_scaling.py --write                  # also write bench/RAY_RESULTS.md

Dev-only, no torch; needs the [ray] extra (and onnx, for the one-time ``optimize_model`` into --cache). Data: the
first --lines lines of ../shared/real/wikitext-2-raw/wiki.test.raw copied byte for byte into a temporary .txt file;
model ../shared/real/splade-tiny: by default its export rewritten once by ``fm.optimize_model`` (the LM head on the
scored rows only: the same figures, ~6x less work than the shipped model.onnx, whose head runs on every position of
every masked copy; 300 lines on it took 11 min on one core here, past the 8-minute bench budget), or the shipped one
(--export default). Settings: ``pseudo_log_likelihood``'s defaults.

Cluster: ``tests/helpers/ray_cluster.py``'s ``RayCluster`` (the harness of the 2-node tests): ``ray start --head
--num-cpus 1`` and ``ray start --address HEAD --num-cpus 1``, each with its own temp dir and free ports, in its own
session, stopped by pid at the end. Both "nodes" are this one machine: they share its cores with the driver, Ray's
GCS and raylets, so a 2-node figure here is a lower bound of two real machines'.

Paths, interleaved round-robin over --rounds rounds (median, min-max):

* one process: ``fm.OnnxMaskedLM(path, threads=1)`` loaded and ``fm.pseudo_log_likelihood`` on the file;
* Ray, 2 nodes x 1 CPU: ``fmd.pseudo_log_likelihood(path, workers=2, cpus_per_worker=1, address=HEAD,
  block_samples=B)`` on the running cluster (blocks of --block-samples samples, default 10, each sent to the actor
  with the fewest out; the last 2 blocks' worth of samples goes out in blocks shrinking to one sample, so the nodes
  finish within about a sample of each other); its time includes everything a
  call does (connect, actor pool start and model load on both nodes, the driver reading and numbering the samples,
  scoring, merging, disconnect).

Start-up, measured apart: the cluster's start (both nodes, the second seen alive in ``ray.nodes()``); a 1-sample
``fmd.pseudo_log_likelihood`` call on the running cluster (connect, pool start, model load, one block, merge,
disconnect: a call's fixed cost); the driver reading and numbering the corpus alone (``text.non_empty`` over
``text.iter_texts``); the driver's CPU time during each Ray call (``time.process_time``: reading, numbering, sending
blocks, merging results, Ray's client threads). Amdahl: serial S = the fixed cost + the driver's CPU time (all of it
counted as serial, though it overlaps the scoring and holds the call's own start-up: an upper bound); parallel P =
the one-process time (one core does all the scoring); T(N) = S + P / N and speed-up T(1 process) / T(N) for N
machines; again with S = the 2-node run's time beyond P / 2 (all that did not run in parallel here, the shared cores
included). Every Ray report must equal the one-process one (``to_dict()``) and list both nodes (``report.ray``) with
sample counts summing to the corpus, or the script exits 1.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import fillmask_np as fm  # noqa: E402
from _workload import REAL_DIR, WIKI  # noqa: E402

OUT = BENCH / "RAY_RESULTS.md"
SPLADE = REAL_DIR / "splade-tiny"
MACHINES = (2, 4, 8, 16, 64)


def load_harness() -> Any:
    """tests/helpers/ray_cluster.py (stdlib only), loaded by path: the bench starts the tests' 2-node cluster."""
    spec = importlib.util.spec_from_file_location("ray_cluster", BENCH.parent / "tests" / "helpers" / "ray_cluster.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine() -> str:
    """One line: CPU, cores, memory, versions, commit, load."""
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


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def node_samples(report: Any) -> dict[str, int]:
    """Ray node id -> samples it scored (``report.ray``, the run's record)."""
    return {n["node_id"]: int(n["samples"]) for n in report.ray["nodes"]}


def model_dir(export: str, cache: Path) -> Path:
    """splade-tiny's shipped export, or its optimized copy (written once into ``cache``)."""
    if export == "default":
        return SPLADE
    optimized = cache / "splade-tiny-optimized"
    if not (optimized / "model.onnx").is_file():
        fm.optimize_model(SPLADE, optimized)
    return optimized


def read_seconds(corpus: Path) -> float:
    """The driver's reading and numbering of the corpus alone."""
    from fillmask_np.text import iter_texts, non_empty

    counts = {"n_samples": 0, "n_empty": 0}
    return timed(lambda: sum(1 for _ in non_empty(iter_texts(corpus), counts, None)))[0]


def amdahl(one: float, serial: float, ray2: float) -> list[str]:
    """The N-machine table: T(N) = S + P / N with P = ``one`` and S = ``serial`` (measured start-up and reading), and
    with S = the 2-node run's time beyond P / 2 (everything not parallel here, shared cores included)."""
    fitted = ray2 - one / 2
    rows = ["| machines N | T(N) = S + P/N, S measured | x one process | T(N) with S from the 2-node run | "
            "x one process |", "|---|---|---|---|---|"]
    for n in MACHINES:
        t, u = serial + one / n, fitted + one / n
        rows.append(f"| {n} | {t:.1f} s | {one / t:.2f}x | {u:.1f} s{' (measured)' if n == 2 else ''} | "
                    f"{one / u:.2f}x |")
    rows.append(f"| limit (N -> infinity) | S = {serial:.1f} s | {one / serial:.1f}x | S = {fitted:.1f} s | "
                f"{one / fitted:.1f}x |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=300, help="first N lines of wiki.test.raw (default 300)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--block-samples", type=int, default=10,
                        help="samples per block sent to an actor (default 10; the last 2 blocks' worth is cut "
                             "into blocks shrinking to one sample, so the two nodes finish together)")
    parser.add_argument("--export", choices=("optimized", "default"), default="optimized",
                        help="splade-tiny optimized by fm.optimize_model (default) or its shipped model.onnx")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_ray_bench"),
                        help="where the optimized model is written once (default /tmp/fillmask_np_ray_bench)")
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(BENCH.parent)}")
    args = parser.parse_args()
    if not (SPLADE / "model.onnx").is_file() or not WIKI.is_file():
        print(f"skipped: {SPLADE} or {WIKI} is absent (../shared/real is not beside the checkout)")
        return 0
    try:
        import ray  # noqa: F401
    except ImportError:
        print("skipped: Ray is not installed: pip install '.[ray]'")
        return 0
    import fillmask_np.distributed as fmd

    header = machine()
    model = model_dir(args.export, args.cache)
    tok = fm.Tokenizer.from_dir(SPLADE)
    harness = load_harness()
    with tempfile.TemporaryDirectory() as root:
        corpus, one_line = Path(root) / "wiki.txt", Path(root) / "one.txt"
        corpus.write_bytes(b"".join(WIKI.read_bytes().splitlines(keepends=True)[:args.lines]))
        one_line.write_text("The cat sat on the mat.\n", encoding="utf-8")
        start_cluster, cluster = timed(lambda: harness.RayCluster.start(nodes=2, cpus_per_node=1))
        try:
            print(f"cluster of 2 nodes started in {start_cluster:.1f} s", flush=True)
            on_ray = lambda path: fmd.pseudo_log_likelihood(  # noqa: E731
                path, model=model, workers=2, cpus_per_worker=1, address=cluster.address, progress=False,
                block_samples=args.block_samples)
            fixed, _ = timed(lambda: on_ray(one_line))
            print(f"1-sample call on the running cluster: {fixed:.1f} s", flush=True)
            driver: list[float] = []  # the driver's CPU seconds (all its threads) during each Ray call

            def ray_run() -> Any:
                before = time.process_time()
                report = on_ray(corpus)
                driver.append(time.process_time() - before)
                return report

            paths = {"one process, 1 thread": lambda: fm.pseudo_log_likelihood(
                         fm.OnnxMaskedLM(model / "model.onnx", threads=1), tok, corpus),
                     "Ray, 2 nodes x 1 CPU": ray_run}
            times: dict[str, list[float]] = {name: [] for name in paths}
            reports: dict[str, list[Any]] = {name: [] for name in paths}
            for r in range(args.rounds):
                for name, run in paths.items():
                    seconds, report = timed(run)
                    times[name].append(seconds)
                    reports[name].append(report)
                    print(f"round {r + 1}: {name}: {seconds:.1f} s", flush=True)
            nodes = [node.node_id for node in cluster.nodes]
        finally:
            cluster.stop()
        reading = read_seconds(corpus)
    reference = reports["one process, 1 thread"][0]
    ray_reports = reports["Ray, 2 nodes x 1 CPU"]
    same = all(r.to_dict() == reference.to_dict() for r in ray_reports + reports["one process, 1 thread"])
    spread = [node_samples(r) for r in ray_reports]
    both = all(sorted(s) == sorted(nodes) and min(s.values()) > 0 and sum(s.values()) == reference.n_samples
               for s in spread)
    one, ray2 = (statistics.median(times[name]) for name in paths)
    serial = fixed + statistics.median(driver)
    rows = ["| path | median s (min-max) | samples/s | scored tokens/s | x one process |", "|---|---|---|---|---|"]
    for name, seconds in times.items():
        median = statistics.median(seconds)
        rows.append(f"| {name} | {median:.1f} ({min(seconds):.1f}-{max(seconds):.1f}) | "
                    f"{reference.n_samples / median:.2f} | {reference.n_scored_tokens / median:,.0f} | "
                    f"{one / median:.2f}x |")
    rows.append(f"| Ray, 2 nodes x 1 CPU, cluster start included | {ray2 + start_cluster:.1f} | | | "
                f"{one / (ray2 + start_cluster):.2f}x |")
    setup = ["| start-up | seconds |", "|---|---|",
             f"| cluster start: head + a node joined by address, seen alive in ray.nodes() | {start_cluster:.1f} |",
             f"| a call's fixed cost: 1-sample fmd.pseudo_log_likelihood on the running cluster (connect, pool start, "
             f"model load on both nodes, one block, merge, disconnect) | {fixed:.1f} |",
             f"| the driver reading and numbering the {args.lines} lines alone | {reading:.3f} |",
             f"| the driver's CPU time during a {args.lines}-line call (reading, numbering, sending blocks, "
             f"receiving and merging results, Ray's client threads; median) | {statistics.median(driver):.1f} |"]
    command = (f"python bench/ray_scaling.py --lines {args.lines} --rounds {args.rounds} --block-samples "
               f"{args.block_samples} --export {args.export}")
    per_node = "; ".join(", ".join(f"{'head' if k == nodes[0] else 'second node'} {v}" for k, v in s.items())
                         for s in spread)
    work = (f"{reference.n_samples} samples ({reference.n_empty} empty lines skipped), {reference.n_tokens:,} tokens, "
            f"{reference.n_scored_tokens:,} scored (one forward each), PPPL {reference.pseudo_perplexity:.4f}; "
            f"every report equal to the one-process one: {'yes' if same else 'NO'}; samples per node in each Ray run: "
            f"{per_node} ({'both nodes, summing to the corpus' if both else 'NOT both nodes / not the corpus'})")
    ratio = one / ray2
    text = "\n".join([
        "# fillmask_np on Ray: two nodes", "",
        f"Generated by `bench/ray_scaling.py` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. "
        f"Command:", "", "```bash", command + " --write", "```", "",
        f"Machine: {header}. Both Ray nodes run on this machine's {os.cpu_count()} cores, shared with the driver, "
        f"Ray's GCS and raylets.", "",
        "Method: " + " ".join(" ".join(__doc__.split("\n\n")[2:]).split()), "",
        f"Work: first {args.lines} lines of WikiText-2 test, splade-tiny ({args.export} export); {work}.", "",
        *rows, "",
        f"Target >= 1.7x one process, a call's start-up included: {ratio:.3f}x, "
        f"{'met' if ratio >= 1.7 else 'missed'}; with the cluster's start too: {one / (ray2 + start_cluster):.2f}x.",
        "", *setup, "",
        f"What it implies for N machines (Amdahl, S = {fixed:.1f} s fixed cost + {serial - fixed:.1f} s of the "
        f"driver's CPU = {serial:.1f} s serial, an upper bound, P = {one:.1f} s of scoring on one core; the last "
        f"columns take as serial everything the 2-node run spent beyond P/2, {ray2 - one / 2:.1f} s, the two nodes' "
        f"sharing of {os.cpu_count()} cores with the driver and Ray included):",
        "", *amdahl(one, serial, ray2), ""])
    print(text)
    if args.write:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")
    return 0 if same and both else 1


if __name__ == "__main__":
    sys.exit(main())
