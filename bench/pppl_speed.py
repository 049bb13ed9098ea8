"""Pseudo-perplexity of splade-tiny on WikiText-2, and the speed of ``fm.pseudo_perplexity`` against a naive loop.

    python bench/pppl_speed.py                      # 200 lines for the PPPL figures, the first 10 for the naive loop
    python bench/pppl_speed.py --lines 50 --naive-lines 5 --threads 2

Dev-only, no torch (numpy, onnxruntime, tokenizers, and onnx for the one-time ``optimize_model`` into --cache).
Data: the first --lines non-empty, non-heading lines of ../shared/real/wikitext-2-raw/wiki.test.raw (as
bench/_workload.py reads them), truncated to 512 tokens. Paths, all timed in this one process after a warm-up:

* naive: the shared model.onnx, one forward per masked copy (batch 1), full [1, L, V] logits, log-softmax of the
  scored row; on the first --naive-lines lines only (it is slow) and reported per scored token;
* pppl: ``fm.pseudo_perplexity`` on the same model and the same lines (copies packed by the token budget);
* the same two on the model rewritten by ``fm.optimize_model`` (LM head on the scored rows only; its naive loop
  computes the scored row only), then its pppl of both variants on all --lines lines: the PPPL figures.

The four paths must agree on the naive subset (relative 1e-5), or the script exits 1.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np, and _workload

import fillmask_np as fm  # noqa: E402
from _workload import REAL_DIR, WIKI, real_lines  # noqa: E402

MAX_LENGTH = 512


def naive_pll(model: fm.OnnxMaskedLM, tok: fm.Tokenizer, lines: list[str]) -> tuple[float, int]:
    """(sum of log P, scored tokens): one forward per masked copy, batch 1, log-softmax of the scored row.

    A plain model computes the full [1, L, V] logits; an optimized one (``gathers_positions``) the scored row only.
    """
    total, count = 0.0, 0
    for row in tok.encode_rows(lines, max_length=MAX_LENGTH):
        for p in np.flatnonzero(row.special_tokens_mask == 0):
            ids = row.ids.copy()
            ids[p] = tok.mask_token_id
            if model.gathers_positions:
                logits = model.masked_logits(ids[None, :], np.ones_like(ids)[None, :], row.type_ids[None, :],
                                             np.array([[0, p]]))[0]  # [V]
            else:
                logits = model(ids[None, :], np.ones_like(ids)[None, :], row.type_ids[None, :])[0, p]  # [V]
            total += float(fm.log_softmax(logits.astype(np.float64))[row.ids[p]])
            count += 1
    return total, count


def timed(fn, *args, **kwargs):  # -> (fn's result, seconds)
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200, help="WikiText lines for the PPPL figures (default 200)")
    parser.add_argument("--naive-lines", type=int, default=10, help="lines for the naive loop (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads (default 1)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_pppl_bench"),
                        help="where the optimized model is written once (default /tmp/fillmask_np_pppl_bench)")
    args = parser.parse_args(argv)
    source = REAL_DIR / "splade-tiny"
    if not source.is_dir() or not WIKI.is_file():
        print(f"skipped: {source} or {WIKI} is absent (../shared/real is not beside this checkout)")
        return 0
    optimized_dir = args.cache / "splade-tiny-optimized"
    if not (optimized_dir / "model.onnx").is_file():
        fm.optimize_model(source, optimized_dir)
    tok = fm.Tokenizer.from_dir(source)
    plain = fm.OnnxMaskedLM(source, threads=args.threads)
    optimized = fm.OnnxMaskedLM(optimized_dir, threads=args.threads)
    lines = real_lines(args.lines)
    subset = lines[: args.naive_lines]
    for model in (plain, optimized):  # warm-up: sessions, thread pools
        fm.pseudo_perplexity(model, tok, subset[:1], max_length=MAX_LENGTH)

    rows, plls = [], {}
    for model in (plain, optimized):
        name = "splade-tiny" + (" (optimized)" if model is optimized else "")
        (total, count), seconds = timed(naive_pll, model, tok, subset)
        plls[f"naive {name}"] = total
        label = "naive loop (batch 1, " + ("head on the scored row)" if model is optimized else "full logits)")
        rows.append((label, name, "original", len(subset), count, seconds, math.exp(-total / count)))
        report, seconds = timed(fm.pseudo_perplexity, model, tok, subset, max_length=MAX_LENGTH)
        plls[name] = report.pseudo_log_likelihood
        rows.append(("fm.pseudo_perplexity", name, "original", len(subset), report.n_scored_tokens, seconds,
                     report.pseudo_perplexity))
    for variant in ("original", "within_word_l2r"):
        report, seconds = timed(fm.pseudo_perplexity, optimized, tok, lines, variant=variant,
                                max_length=MAX_LENGTH)
        rows.append(("fm.pseudo_perplexity", "splade-tiny (optimized)", variant, len(lines), report.n_scored_tokens,
                     seconds, report.pseudo_perplexity))

    print(f"splade-tiny on the first non-heading lines of {WIKI.name}; max_length {MAX_LENGTH}; "
          f"{args.threads} ORT thread(s); onnxruntime {__import__('onnxruntime').__version__}\n")
    print("| path | model | variant | lines | scored tokens | seconds | scored tokens/s | PPPL |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for path, name, variant, n_lines, count, seconds, pppl in rows:
        print(f"| {path} | {name} | {variant} | {n_lines} | {count} | {seconds:.2f} | {count / seconds:,.0f} | "
              f"{pppl:.3f} |")
    rate = [count / seconds for *_, count, seconds, _ in rows]
    print(f"\nscored tokens/s over the naive loop with full logits: pppl {rate[1] / rate[0]:.1f}x, optimized model "
          f"naive {rate[2] / rate[0]:.1f}x, optimized model pppl {rate[3] / rate[0]:.1f}x "
          f"({rate[3] / rate[2]:.1f}x its own naive loop)")
    worst = max(abs(v / plls["naive splade-tiny"] - 1) for v in plls.values())
    print(f"largest relative PLL difference between the paths on the naive subset: {worst:.2e}")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
