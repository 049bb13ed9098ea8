"""The Ray driver's memory against the corpus size: ``fmd.evaluate`` on a 1 MB and a 100 MB corpus, the driver's
peak RSS of each, and whether anything spilled from Ray's object store to disk.

    python bench/ray_streaming.py                          # 1 MB and 100 MB, eval on splade-tiny, --max-length 8
    python bench/ray_streaming.py --sizes-mb 1 10 --write  # and write bench/RAY_STREAMING.md

Dev-only, no torch. Corpora: the WikiText-2 test split (../shared/real/wikitext-2-raw/wiki.test.raw) repeated, whole
lines, until the size is reached. Each size runs in its own fresh process (its ``ru_maxrss`` is that run's alone):
``ray.init(num_cpus=2)`` with a spill directory of its own, then ``fmd.evaluate(corpus, model=splade-tiny, workers=2,
max_length=8, seed=0)`` (a short ``max_length`` keeps the 100 MB run to minutes: the driver still reads, numbers
and sends every line, the actors tokenize every line whole). It reports the driver's peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after importing and starting Ray, and after the run; the bound on
blocks out (``max_in_flight``: the workers, one block per actor) and the peak the driver had; and the files and
bytes in the spill directory afterwards. The smallest corpus's report is checked equal (``to_dict()``) to ``fm.evaluate`` run in the
same process afterwards, or the script exits 1.

What grows with the corpus on the driver is the report itself: one per-sample row (a few Python numbers) per
sample; the script gives the growth per sample. The blocks (the text) are bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from _workload import REAL_DIR, WIKI  # noqa: E402

MAX_LENGTH = 8
OBJECT_STORE = 200_000_000  # bytes: smaller than the 100 MB corpus's blocks would need if all were put at once


def rss_mib() -> float:
    """This process's peak RSS so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_corpus(path: Path, size: int) -> int:
    """Write WikiText-2 test lines, repeated, until ``size`` bytes; returns the bytes written."""
    lines = WIKI.read_bytes().splitlines(keepends=True)
    written = 0
    with path.open("wb") as out:
        while written < size:
            for line in lines:
                out.write(line)
                written += len(line)
                if written >= size:
                    break
    return written


def child(corpus: Path, spill: Path, check: bool) -> dict:
    """One measured run in this (fresh) process."""
    import ray

    import fillmask_np.distributed as fmd

    model = REAL_DIR / "splade-tiny"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=OBJECT_STORE,
             _system_config={"object_spilling_config": json.dumps(
                 {"type": "filesystem", "params": {"directory_path": str(spill)}})})
    before = rss_mib()
    start = time.perf_counter()
    report = fmd.evaluate(str(corpus), model=model, workers=2, max_length=MAX_LENGTH, seed=0, progress=False)
    seconds = time.perf_counter() - start
    after = rss_mib()
    ray.shutdown()
    files = [p for p in spill.rglob("*") if p.is_file()]
    out = {"bytes": corpus.stat().st_size, "n_samples": report.n_samples, "seconds": round(seconds, 1),
           "rss_start_mib": round(before, 1), "rss_peak_mib": round(after, 1), "blocks": report.ray["blocks"],
           "window": report.ray["window"], "peak_in_flight": report.ray["peak_in_flight"],
           "spilled_files": len(files), "spilled_bytes": sum(p.stat().st_size for p in files)}
    if check:
        import fillmask_np as fm

        whole = fm.evaluate(fm.OnnxMaskedLM(model / "model.onnx"), fm.Tokenizer.from_dir(model), corpus,
                            max_length=MAX_LENGTH, seed=0)
        out["equal_to_one_process"] = whole.to_dict() == report.to_dict()
    return out


def cpu_name() -> str:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return f"{fields.get('Model name', '?').strip()}, {os.cpu_count()} cores (shared with other work)"


def render(rows: list[dict], command: str) -> str:
    small, large = rows[0], rows[-1]
    growth = (large["rss_peak_mib"] - small["rss_peak_mib"]) * 2**20 / max(1, large["n_samples"] - small["n_samples"])
    lines = ["# The Ray driver's memory against the corpus size", "",
             f"`{command}` (`bench/ray_streaming.py`; {cpu_name()}). `fmd.evaluate` on splade-tiny, 2 workers x 1 CPU,"
             f" `max_length={MAX_LENGTH}`, WikiText-2 test lines repeated; each size in a fresh process.", "",
             "| corpus | samples | run | driver RSS after start | driver peak RSS | blocks (bound, peak out) | spilled |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['bytes'] / 1e6:.0f} MB | {r['n_samples']} | {r['seconds']} s | {r['rss_start_mib']} MiB | "
                     f"{r['rss_peak_mib']} MiB | {r['blocks']} ({r['window']}, {r['peak_in_flight']}) | "
                     f"{r['spilled_files']} files, {r['spilled_bytes']} B |")
    lines += ["", f"Peak RSS grows {large['rss_peak_mib'] - small['rss_peak_mib']:+.1f} MiB from the smallest to the "
              f"largest corpus ({large['bytes'] / small['bytes']:.0f}x the bytes): {growth:.0f} B per added sample, "
              f"the report's per-sample rows; the blocks of text the driver holds are bounded by the window. "
              f"The smallest run's report equals `fm.evaluate`'s: {small.get('equal_to_one_process')}.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[1, 100])
    parser.add_argument("--write", action="store_true", help="write bench/RAY_STREAMING.md")
    parser.add_argument("--child", nargs=2, metavar=("CORPUS", "SPILL"), help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]), args.check)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="raystream") as tmp:
        for k, size in enumerate(sorted(args.sizes_mb)):
            corpus, spill = Path(tmp) / f"corpus-{size:g}mb.txt", Path(tmp) / f"spill-{size:g}"
            spill.mkdir()
            build_corpus(corpus, int(size * 1e6))
            command = [sys.executable, __file__, "--child", str(corpus), str(spill)] + (["--check"] if k == 0 else [])
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
            corpus.unlink()
    command = "python bench/ray_streaming.py" + ("" if args.sizes_mb == [1, 100] else
                                                 " --sizes-mb " + " ".join(f"{s:g}" for s in args.sizes_mb))
    text = render(rows, command)
    print(text)
    if args.write:
        (BENCH / "RAY_STREAMING.md").write_text(text, encoding="utf-8")
    bad = rows[0].get("equal_to_one_process") is False or any(r["spilled_files"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
