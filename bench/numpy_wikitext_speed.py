"""The NumPy backend as a user runs ``eval`` on WikiText-2, against PyTorch on HF-collated padded batches.

    python bench/numpy_wikitext_speed.py                  # first 500 non-empty test lines, batch 16, 2 rounds
    python bench/numpy_wikitext_speed.py --lines 100 --rounds 1

Dev-only (torch, transformers). Paths, interleaved round-robin in one process (best of --rounds):

* torch: ``AutoModelForMaskedLM`` (eager, 2 threads) on the lines in file order, in batches of --batch-size padded
  to the batch's longest line by ``DataCollatorForLanguageModeling`` (15 % masked), forward + loss, pre-built;
* numpy32 / numpy64: ``fm.evaluate`` on ``fm.NumpyMaskedLM`` float32 (batch-invariant) and float64, the same lines
  and batch size (tokenizing, masking and the loss included).

Prints the seconds of each path, numpy32's speed-up over torch and float64's cost over float32.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np

import fillmask_np as fm  # noqa: E402

REAL = BENCH.parent.parent / "shared" / "real"
MODEL, WIKI = REAL / "splade-tiny", REAL / "wikitext-2-raw" / "wiki.test.raw"


def torch_path(lines: list[str], batch_size: int, max_length: int) -> Callable[[], None]:
    """PyTorch eager on HF-collated batches of ``lines`` in file order (collated once, before timing)."""
    import torch
    from transformers import AutoModelForMaskedLM, DataCollatorForLanguageModeling, PreTrainedTokenizerFast

    torch.set_num_threads(2)
    torch.manual_seed(0)
    tok = PreTrainedTokenizerFast(tokenizer_file=str(MODEL / "tokenizer.json"), mask_token="[MASK]",
                                  pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]")
    collate = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
    rows = [{"input_ids": tok(line, truncation=True, max_length=max_length)["input_ids"]} for line in lines]
    batches = [collate(rows[i: i + batch_size]) for i in range(0, len(rows), batch_size)]
    model = AutoModelForMaskedLM.from_pretrained(str(MODEL)).eval()

    def run() -> None:
        with torch.inference_mode():
            for b in batches:
                model(input_ids=b["input_ids"], attention_mask=(b["input_ids"] != tok.pad_token_id).long(),
                      labels=b["labels"])
    return run


def main(argv: list[str] | None = None) -> int:
    """Time the paths and print the ratios."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=500, help="first non-empty test lines, in file order")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    lines = [line for line in WIKI.read_text(encoding="utf-8").splitlines() if line.strip()][: args.lines]
    tok = fm.Tokenizer.from_dir(MODEL)
    models = {"numpy32": fm.NumpyMaskedLM(MODEL), "numpy64": fm.NumpyMaskedLM(MODEL, precision="float64")}
    paths: dict[str, Callable[[], object]] = {"torch": torch_path(lines, args.batch_size, args.max_length)}
    for name, model in models.items():
        paths[name] = (lambda m=model: fm.evaluate(m, tok, lines, batch_size=args.batch_size,
                                                    max_length=args.max_length))
    best = {name: float("inf") for name in paths}
    for _ in range(args.rounds):
        for name, run in paths.items():
            time.sleep(0.3)  # let the previous path's threads settle
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"{len(lines)} lines, batch {args.batch_size}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()))
    print(f"numpy32 vs torch padded: {best['torch'] / best['numpy32']:.2f}x; "
          f"float64 costs {best['numpy64'] / best['numpy32']:.2f}x float32")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
