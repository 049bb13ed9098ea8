"""Shards by hand on one box: the cost of ``--shard i/n`` + ``merge`` against one run, and the size of partials.

    python bench/shard_merge.py                    # splade-tiny on the WikiText-2 test split, 4 shards, 3 rounds
    python bench/shard_merge.py --shards 8 --rounds 1

Dev-only, no torch. Data: ../shared/real/wikitext-2-raw/wiki.test.raw as ``fm.evaluate`` reads it (every line,
empty ones counted), model ../shared/real/splade-tiny/model.onnx with its tokenizer, seed 0, max_length 128,
ONNX Runtime with 1 thread (one shard per core is how shards are meant to run). Timed in this one process,
alternating the whole run and the shards each round (the machine is noisy):

* whole: ``fm.evaluate`` over the corpus;
* shards: ``fm.evaluate(..., shard=(i, n), partial=...)`` for every i, one after another (each reads the whole
  file to number the samples, and scores its own), then ``fm.merge`` of the n partials (timed apart).

The script checks that the merged report equals the whole run's (``to_dict()``), or exits 1. It prints the
median seconds, the ratio (sum of shards + merge) / whole, i.e. the work added by sharding, and the partial sizes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import fillmask_np as fm  # noqa: E402
from _workload import REAL_DIR, WIKI  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    splade = REAL_DIR / "splade-tiny"
    if not (splade / "model.onnx").is_file() or not WIKI.is_file():
        print(f"skipped: {splade} or {WIKI} is absent (../shared/real is not beside the checkout)")
        return 0
    model, tok = fm.OnnxMaskedLM(splade / "model.onnx", threads=1), fm.Tokenizer.from_dir(splade)
    options = dict(seed=0, max_length=128)
    whole_s, shards_s, merge_s, sizes = [], [], [], {}
    for _ in range(args.rounds):
        start = time.perf_counter()
        whole = fm.evaluate(model, tok, WIKI, **options)
        whole_s.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as root:
            start = time.perf_counter()
            paths = [Path(root) / f"part-{i}.npz" for i in range(args.shards)]
            for i, path in enumerate(paths):
                fm.evaluate(model, tok, WIKI, shard=(i, args.shards), partial=path, **options)
            shards_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            merged = fm.merge(paths)
            merge_s.append(time.perf_counter() - start)
            for suffix in (".npz", ".json"):
                path = Path(root) / f"size{suffix}"
                fm.evaluate(model, tok, WIKI, shard=(0, args.shards), partial=path, **options)
                sizes[suffix] = path.stat().st_size
        if merged.to_dict() != whole.to_dict():
            print("FAIL: the merged report differs from the whole run's")
            return 1
    w, s, m = (statistics.median(x) for x in (whole_s, shards_s, merge_s))
    print(f"corpus: {whole.n_samples} samples ({whole.n_empty} empty lines), {whole.n_masked} masked tokens; "
          f"{args.shards} shards, {args.rounds} rounds, medians")
    print(f"| whole run | {args.shards} shards in turn | merge | (shards + merge) / whole | partial (.npz / .json) |")
    print("|---|---|---|---|---|")
    print(f"| {w:.2f} s | {s:.2f} s | {1000 * m:.0f} ms | {(s + m) / w:.3f} | "
          f"{sizes['.npz'] / 1024:.0f} KiB / {sizes['.json'] / 1024:.0f} KiB |")
    print("merged report == whole run's report (to_dict): yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
