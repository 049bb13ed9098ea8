"""Speed of ``fm.generate``: 40 new tokens in 10 steps against 40 one-at-a-time steps, and 16 prompts batched
against one prompt per model run.

    python bench/generate_speed.py                        # golden esm and bert, splade-tiny when ../shared has it
    python bench/generate_speed.py --threads 2 --repeats 5

Dev-only, no torch (numpy, onnxruntime, tokenizers; onnx for the one-time ``optimize_model`` of splade-tiny into
--cache). Prompts: the first 8 residues of the first 16 lines of golden_data/text/protein_eval.txt (esm), the first
four words of the first 16 eval.txt lines with at least four words (bert, splade-tiny), each followed by 40 new
masks, filled greedily (argmax, confidence order, linear schedule). Every row is the median of --repeats timed
runs after a warm-up; ``tokens/s`` is masks filled per second of wall time of the whole ``generate`` call.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np

import fillmask_np as fm  # noqa: E402

GOLDEN = BENCH.parent / "golden_data"
SHARED = BENCH.parent.parent / "shared" / "real"
NEW_TOKENS, STEPS, PROMPTS = 40, 10, 16
# (label, prompts, steps, batch_size)
RUNS = (("1 prompt, 40 steps (one at a time)", 1, NEW_TOKENS, 1), ("1 prompt, 10 steps", 1, STEPS, 1),
        ("16 prompts, 10 steps, batch 1", PROMPTS, STEPS, 1), ("16 prompts, 10 steps, batch 16", PROMPTS, STEPS, 16),
        ("16 prompts, 40 steps, batch 16", PROMPTS, NEW_TOKENS, 16))


def prefixes(kind: str) -> list[str]:
    """The 16 prompt prefixes: protein residues or English words (module docstring)."""
    if kind == "protein":
        lines = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")
        return [line[:8] for line in lines if len(line) >= 8][:PROMPTS]
    lines = (GOLDEN / "text" / "eval.txt").read_text(encoding="utf-8").split("\n")
    words = [re.findall(r"\S+", line) for line in lines]
    return [" ".join(w[:4]) for w in words if len(w) >= 4][:PROMPTS]


def measure(model: fm.MaskedLM, tok: fm.Tokenizer, texts: list[str], steps: int, batch_size: int,
            repeats: int) -> tuple[fm.Generations, float]:
    """The last result and the median wall seconds of ``repeats`` calls."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fm.generate(model, tok, texts, new_tokens=NEW_TOKENS, steps=steps, batch_size=batch_size)
        times.append(time.perf_counter() - start)
    assert out is not None
    return out, statistics.median(times)


def models(threads: int, cache: Path) -> list[tuple[str, fm.MaskedLM, fm.Tokenizer, str]]:
    """(name, model, tokenizer, prompt kind) of every model present."""
    found = []
    for name, kind in (("esm", "protein"), ("bert", "english")):
        directory = GOLDEN / "models" / name
        found.append((f"golden {name}", fm.OnnxMaskedLM(directory, threads=threads), fm.Tokenizer.from_dir(directory),
                      kind))
    splade = SHARED / "splade-tiny"
    if splade.is_dir():
        optimized = cache / "splade-tiny-optimized"
        if not (optimized / "model.onnx").is_file():
            fm.optimize_model(splade, optimized)
        tok = fm.Tokenizer.from_dir(splade)
        found.append(("splade-tiny", fm.OnnxMaskedLM(splade, threads=threads), tok, "english"))
        found.append(("splade-tiny (optimized)", fm.OnnxMaskedLM(optimized, threads=threads), tok, "english"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row; the median is shown (default 3)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_generate_bench"),
                        help="where splade-tiny's optimized copy is written once")
    args = parser.parse_args(argv)
    command = "python bench/generate_speed.py" + "".join(
        f" --{k} {v}" for k, v in (("threads", args.threads), ("repeats", args.repeats)))
    version = __import__("onnxruntime").__version__
    print(f"`{command}`: {NEW_TOKENS} new tokens per prompt, argmax, confidence order, linear schedule; "
          f"{args.threads} ORT thread(s); median of {args.repeats}; onnxruntime {version}\n")
    print("| model | run | model runs | positions scored | tokens | seconds | tokens/s | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, model, tok, kind in models(args.threads, args.cache):
        texts = prefixes(kind)
        fm.generate(model, tok, texts, new_tokens=NEW_TOKENS, steps=STEPS)  # warm-up
        rates = []
        for label, n_prompts, steps, batch_size in RUNS:
            out, seconds = measure(model, tok, texts[:n_prompts], steps, batch_size, args.repeats)
            rates.append(out.tokens_filled / seconds)
            base = rates[0] if n_prompts == 1 else rates[2]
            print(f"| {name} | {label} | {out.model_runs} | {out.positions_scored} | {out.tokens_filled} | "
                  f"{seconds:.3f} | {rates[-1]:,.0f} | {rates[-1] / base:.1f}x |")
    print("\nspeed-up: against the one-prompt 40-step row for one prompt, against batch 1 for 16 prompts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
