"""Speed of ``fillmask-np pairs`` (``fm.score_pairs``) against minicons-style torch scoring of minimal pairs.

    python bench/pairs_speed.py                  # 60 pairs, 3 interleaved rounds, 1 thread each
    python bench/pairs_speed.py --pairs 40 --rounds 2 --threads 2

Run it with the golden venv (torch + transformers; fillmask_np importable there): dev-only.

Model: splade-tiny from ../shared/real (BertForMaskedLM, hidden 128, 2 layers, vocab 30522): model.safetensors
for torch, model.onnx for fillmask_np (and that model rewritten by ``fm.optimize_model`` into --cache at each
run, whose LM head runs on the scored rows only). Pairs: the first --pairs sentences of 8-30 words of WikiText-2's
test split (non-heading lines split at ". "); good = the sentence, bad = the same sentence with its two middle words swapped.

Paths, timed in this one process after a warm-up, interleaved round by round (the machine is shared):

* torch (minicons): as minicons' ``MaskedLMScorer.sequence_score([good, bad])`` scores a pair: both sentences
  encoded and padded together, one copy per non-special token with that token masked, all copies of the pair in
  one torch forward with full [copies, L, V] logits, ``logits - logsumexp`` at each masked row;
* fm: ``fm.score_pairs`` on model.onnx (copies of many sentences packed by the token budget), and on the
  optimized model.

The per-sentence PLLs of all paths must agree (relative 1e-4), or the script exits 1. The ratio printed is the
median seconds of torch over the median seconds of each fm path.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np, and _workload

import fillmask_np as fm  # noqa: E402
from _measure import interleaved, speedup_rows  # noqa: E402
from _workload import REAL_DIR, WIKI  # noqa: E402


def wikitext_pairs(n: int) -> list[tuple[str, str]]:
    """``n`` (good, bad) pairs: WikiText-2 test sentences of 8-30 words, bad = the two middle words swapped."""
    pairs = []
    for line in WIKI.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(" = "):
            continue
        for sentence in line.strip().split(" . "):
            words = sentence.split()
            if 8 <= len(words) <= 30:
                k = len(words) // 2
                bad = words[: k - 1] + [words[k], words[k - 1]] + words[k + 1 :]
                if bad != words:
                    pairs.append((" ".join(words) + " .", " ".join(bad) + " ."))
                    if len(pairs) == n:
                        return pairs
    return pairs


def minicons_pairs(model, tok, pairs: list[tuple[str, str]]) -> list[float]:
    """Each sentence's PLL, scored as minicons' MaskedLMScorer scores the batch [good, bad] of each pair."""
    import torch

    out = []
    for pair in pairs:
        enc = tok(list(pair), return_tensors="pt", padding=True)
        copies, masks, rows, targets, sizes = [], [], [], [], []
        for ids, attention in zip(enc["input_ids"], enc["attention_mask"]):
            real = [t for t in ids.tolist() if t not in (tok.pad_token_id, tok.cls_token_id, tok.sep_token_id)]
            for position in range(1, len(real) + 1):  # [CLS] real... [SEP]: every real token masked once
                masked = ids.clone()
                masked[position] = tok.mask_token_id
                copies.append(masked)
                masks.append(attention)
            rows += list(range(1, len(real) + 1))
            targets += real
            sizes.append(len(real))
        with torch.no_grad():
            logits = model(torch.stack(copies), attention_mask=torch.stack(masks)).logits  # [C, L, V]
            picked = logits[torch.arange(len(rows)), rows]  # [C, V]
            log_probs = picked - picked.logsumexp(1).unsqueeze(1)
            scores = log_probs[torch.arange(len(rows)), targets].double().split(sizes)
        out += [float(s.sum()) for s in scores]
    return out


def fm_pairs(model: fm.MaskedLM, tok: fm.Tokenizer, pairs: list[tuple[str, str]]) -> list[float]:
    """Each sentence's PLL from ``fm.score_pairs`` (good, bad of each pair, in order)."""
    report = fm.score_pairs(model, tok, pairs)
    return [v for p in report.pairs for v in (p["good_pll"], p["bad_pll"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=60, help="minimal pairs (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch and ONNX Runtime intra-op threads (default 1)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_pairs_bench"),
                        help="where the optimized model is written (default /tmp/fillmask_np_pairs_bench)")
    args = parser.parse_args(argv)
    source = REAL_DIR / "splade-tiny"
    if not source.is_dir() or not WIKI.is_file():
        print(f"skipped: {source} or {WIKI} is absent (../shared/real is not beside this checkout)")
        return 0
    import torch
    import transformers

    torch.set_num_threads(args.threads)
    optimized_dir = args.cache / "splade-tiny-optimized"
    shutil.rmtree(optimized_dir, ignore_errors=True)  # rewritten by this checkout's optimize, every run (seconds)
    fm.optimize_model(source, optimized_dir)
    tok = fm.Tokenizer.from_dir(source)
    hf_tok = transformers.AutoTokenizer.from_pretrained(str(source))
    torch_model = transformers.AutoModelForMaskedLM.from_pretrained(str(source), dtype=torch.float32).eval()
    paths = {"torch minicons-style (full logits, a forward per pair)": lambda ps: minicons_pairs(torch_model, hf_tok, ps),
             "fm.score_pairs, model.onnx": lambda ps: fm_pairs(fm.OnnxMaskedLM(source, threads=args.threads), tok, ps),
             "fm.score_pairs, optimized model": lambda ps: fm_pairs(fm.OnnxMaskedLM(optimized_dir, threads=args.threads),
                                                                   tok, ps)}
    pairs = wikitext_pairs(args.pairs)
    for run in paths.values():  # warm-up
        run(pairs[:2])
    plls, seconds = interleaved({name: (lambda run=run: run(pairs)) for name, run in paths.items()}, args.rounds)
    names = list(paths)
    reference = np.array(plls[names[0]])
    worst = max(float(np.max(np.abs(np.array(v) / reference - 1))) for v in plls.values())
    n_tokens = sum(int((row.special_tokens_mask == 0).sum()) for row in tok.encode_rows([t for p in pairs for t in p]))
    print(f"splade-tiny, {len(pairs)} WikiText-2 minimal pairs ({n_tokens} scored tokens), {args.threads} thread(s); "
          f"torch {torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}; median of {args.rounds} "
          f"interleaved rounds\n")
    print("\n".join(speedup_rows(seconds, len(pairs), "pairs")))
    print(f"\nlargest relative PLL difference between the paths: {worst:.2e}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
