"""Does an int8 model's cross-entropy depend on the batch size? Invariance, accuracy and speed of the candidates.

    python bench/int8_invariance.py                         # 300 lines, batches 1/8/64, 5 rounds: writes bench/INT8.md
    python bench/int8_invariance.py --lines 100 --rounds 2 --out /tmp/INT8.md

Dev-only, no torch. Model: ../shared/real/splade-tiny (skipped with a message when absent); data: the first
--lines non-empty, non-heading lines of ../shared/real/wikitext-2-raw/wiki.test.raw (bench/_workload.py).
Candidates (bench/_int8_variants.py): the float32 optimized model, dynamic int8, static int8 as ``optimize
--int8`` writes it, static int8 with other calibration methods / formats / unfolded, and a per-row dynamic
rewrite. For each:

* accuracy: ``fm.evaluate`` (per_sample masking, seed 0, max_length 512) at every --batch-sizes: the masked
  cross-entropy at each size (identical masks at every size), its spread (max - min), the largest per-sample
  difference against batch 1, and the relative change against float32 at batch 1;
* speed: the models' forward on the masked rows (``masked_logits``) over evaluate's batches (sorted by
  length in windows), one ONNX Runtime thread, interleaved: every batch runs on every candidate in turn,
  rotating the order each round; a candidate's time is the sum over batches of its best round. Reported as
  tokens/s and as ratios to float32 and to dynamic int8 at each batch size.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np, and the bench helpers

import fillmask_np as fm  # noqa: E402
from _int8_variants import build, source_digest  # noqa: E402
from _measure import machine_info  # noqa: E402
from _workload import REAL_DIR, WIKI, bucketed_batches, real_lines, real_samples  # noqa: E402

MAX_LENGTH = 512
CANDIDATES = {  # name -> what it is
    "fp32": "float32, masked-rows head (optimize)",
    "dynamic": "int8 dynamic, per channel (optimize --quantization dynamic)",
    "static": "int8 static: QDQ, percentile 99.99 %, folded (optimize --int8, the default)",
    "static:minmax:qdq": "int8 static: QDQ, MinMax, folded",
    "static:entropy:qdq": "int8 static: QDQ, entropy, folded",
    "static:percentile:qdq:unfolded": "int8 static: QDQ, percentile 99.99 %, not folded",
    "static:percentile:qoperator": "int8 static: QOperator (QLinearMatMul), percentile 99.99 %",
    "per-row": "int8 dynamic, one scale per row (bench-only rewrite)",
}


def accuracy(model: fm.OnnxMaskedLM, tok: fm.Tokenizer, lines: list[str], sizes: list[int]) -> dict:
    """Cross-entropy at each batch size, spread, largest per-sample difference against the first size, top-1."""
    reports = {b: fm.evaluate(model, tok, lines, seed=0, batch_size=b, max_length=MAX_LENGTH, progress=False)
               for b in sizes}
    first = np.asarray(reports[sizes[0]].per_sample["cross_entropy"], dtype=np.float64)
    worst = max(float(np.nanmax(np.abs(np.asarray(r.per_sample["cross_entropy"], dtype=np.float64) - first)))
                for r in reports.values())
    ce = {b: r.cross_entropy for b, r in reports.items()}
    return dict(ce=ce, spread=max(ce.values()) - min(ce.values()), per_sample=worst,
                top1=reports[sizes[0]].top1_accuracy, n_masked=reports[sizes[0]].n_masked)


def speed(models: dict[str, fm.OnnxMaskedLM], tok: fm.Tokenizer, lines: list[str], size: int,
          rounds: int) -> dict[str, float]:
    """tokens/s of each model's forward on evaluate's batches of ``size``, best round per batch, interleaved."""
    batches = bucketed_batches(tok, real_samples(tok, lines, 0, MAX_LENGTH), size)
    positions = [np.argwhere(b.labels != -100) for b in batches]  # [M, 2] each
    names = list(models)
    best = {n: np.full(len(batches), np.inf) for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for i, b in enumerate(batches):
            for n in order:
                start = time.perf_counter()
                models[n].masked_logits(b.input_ids, b.attention_mask, b.token_type_ids, positions[i])
                best[n][i] = min(best[n][i], time.perf_counter() - start)
    tokens = sum(b.n_real for b in batches)
    return {n: tokens / float(best[n].sum()) for n in names}


def conclusion(results: dict, rates: dict, sizes: list[int]) -> list[str]:
    """Which candidates are batch-invariant, and the most accurate of them with its speed."""
    fp = results["fp32"]["ce"][sizes[0]]
    change = {n: (r["ce"][sizes[0]] - fp) / fp for n, r in results.items()}
    invariant = [n for n, r in results.items() if n != "fp32" and r["per_sample"] == 0]
    varying = [n for n, r in results.items() if r["per_sample"] != 0]
    out = ["## Summary\n",
           "- batch-invariant int8 (per-sample cross-entropy bit-identical at every batch size): "
           + (", ".join(f"`{n}`" for n in invariant) or "none"),
           "- NOT batch-invariant: " + (", ".join(
               f"`{n}` (CE spread {results[n]['spread']:.6f}, one sample moves by up to {results[n]['per_sample']:.3g} "
               f"nats)" for n in varying) or "none")]
    if invariant:
        best = min(invariant, key=lambda n: abs(change[n]))
        speed = [rates[b][best] / rates[b]["fp32"] for b in sizes]
        versus = [rates[b][best] / rates[b]["dynamic"] for b in sizes]
        out.append(f"- the invariant int8 candidate closest to float32: `{best}` ({100 * change[best]:+.4f} %), at "
                   f"{min(speed):.2f}-{max(speed):.2f}x float32's speed and {min(versus):.2f}-{max(versus):.2f}x "
                   f"dynamic int8's")
    return out


def render(results: dict, rates: dict, args, info: dict, n_masked: int, seconds: float) -> str:
    sizes = args.batch_sizes
    fp = results["fp32"]["ce"][sizes[0]]
    out = ["# int8 batch invariance on splade-tiny / WikiText-2\n",
           f"Generated by `python bench/int8_invariance.py{' ' + ' '.join(args.argv) if args.argv else ''}` on "
           f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} min "
           f"({', '.join(f'{k} {v}' for k, v in info.items())}).\n",
           f"Data: the first {args.lines} non-heading lines of wiki.test.raw, per_sample masking, seed 0, max_length "
           f"{MAX_LENGTH}: {n_masked} masked tokens at every batch size (identical masks). Static int8 is "
           f"calibrated on a seeded draw of 128 lines of the bundled eval.txt (optimize's default; a line whose "
           f"draw masked nothing is skipped).\n",
           *conclusion(results, rates, sizes), "",
           "## Cross-entropy by batch size\n",
           "| candidate | " + " | ".join(f"CE @ batch {b}" for b in sizes)
           + " | spread | max per-sample diff | CE vs fp32 | top-1 | batch-invariant |",
           "|---|" + "---:|" * (len(sizes) + 4) + "---|"]
    for name, r in results.items():
        cells = [f"{r['ce'][b]:.6f}" for b in sizes]
        cells += [f"{r['spread']:.6f}", f"{r['per_sample']:.3g}", f"{100 * (r['ce'][sizes[0]] - fp) / fp:+.4f} %",
                  f"{100 * r['top1']:.2f} %", "yes" if r["per_sample"] == 0 else "**no**"]
        out.append(f"| `{name}` {CANDIDATES[name]} | " + " | ".join(cells) + " |")
    out += ["", f"## Speed (tokens/s, {args.threads} ONNX Runtime thread, best of {args.rounds} interleaved rounds)\n",
            "| candidate | " + " | ".join(f"batch {b}: tok/s, x fp32, x dynamic" for b in sizes) + " |",
            "|---|" + "---|" * len(sizes)]
    for name in results:
        cells = [f"{rates[b][name]:,.0f}, {rates[b][name] / rates[b]['fp32']:.2f}x, "
                 f"{rates[b][name] / rates[b]['dynamic']:.2f}x" for b in sizes]
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=300, help="WikiText lines (default 300)")
    parser.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 64],
                        help="comma-separated batch sizes (default 1,8,64)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads (default 1)")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated subset of: "
                        + ", ".join(CANDIDATES) + " (fp32 and dynamic are always measured)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_int8_bench"),
                        help="where the candidates are written once (default /tmp/fillmask_np_int8_bench)")
    parser.add_argument("--out", type=Path, default=BENCH / "INT8.md", help="report file (default bench/INT8.md)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    source = REAL_DIR / "splade-tiny"
    if not (source / "model.onnx").is_file() or not WIKI.is_file():
        print(f"skipped: {source} or {WIKI} is absent (../shared/real is not beside this checkout)")
        return 0
    names = ["fp32", "dynamic"] + [n for n in args.candidates.split(",") if n not in ("fp32", "dynamic")]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidates {unknown}")
    began = time.perf_counter()
    cache = args.cache / f"onnxruntime-{__import__('onnxruntime').__version__}-{source_digest()}"
    fp32_dir = build("fp32", source, cache, cache)
    dirs = {n: build(n, source, cache, fp32_dir) for n in names}
    tok = fm.Tokenizer.from_dir(source)
    lines = real_lines(args.lines)
    models = {n: fm.OnnxMaskedLM(d, threads=args.threads) for n, d in dirs.items()}
    results = {}
    for n, m in models.items():
        results[n] = accuracy(m, tok, lines, args.batch_sizes)
        print(f"{n:32s} CE {' '.join(f'{v:.6f}' for v in results[n]['ce'].values())}  spread "
              f"{results[n]['spread']:.6f}  per-sample {results[n]['per_sample']:.3g}", flush=True)
    rates = {}
    for b in args.batch_sizes:
        rates[b] = speed(models, tok, lines, b, args.rounds)
        print(f"batch {b}: " + ", ".join(f"{n} {r / rates[b]['fp32']:.2f}x" for n, r in rates[b].items()), flush=True)
    text = render(results, rates, args, machine_info(), results["fp32"]["n_masked"], time.perf_counter() - began)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
