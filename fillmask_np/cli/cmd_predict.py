"""``fillmask-np predict``: the top-k fillers of each mask token of a text (or of each text of a file, batched),
or an iterative fill."""

from __future__ import annotations

import argparse
from typing import Any

from .options import load, model_args
from .printing import print_json


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    pr = sub.add_parser("predict", help="top-k fillers for each mask token of a text (HF's fill-mask pipeline)")
    model_args(pr)
    pr.add_argument("text", nargs="*", help='text(s) with mask tokens, e.g. "The cat [MASK] on the mat."')
    pr.add_argument("--data", help="texts with mask tokens, one per line (text file, JSONL, CSV/TSV, Parquet; - for "
                                   "standard input), answered in batches; empty lines are skipped")
    pr.add_argument("--text-field", help="JSONL field or CSV/TSV/Parquet column holding the text (default: text)")
    pr.add_argument("--batch-size", type=int, default=16, help="texts per model run (default 16)")
    pr.add_argument("--top-k", type=int, default=5,
                    help="candidates per mask (default 5); with --sample, the sampling cut")
    pr.add_argument("--targets", help="comma-separated words to score instead of the whole vocabulary, taken "
                                      "verbatim (' cat' keeps its space); multi-token words are scored by "
                                      "pseudo-log-likelihood")
    pr.add_argument("--strategy", choices=("independent", "iterative"), default="independent",
                    help="independent: every mask from one run (default, as HF); iterative: fill the most "
                         "confident mask, run again, repeat")
    pr.add_argument("--sample", action="store_true", help="iterative: draw each token instead of the argmax")
    pr.add_argument("--temperature", type=float, help="iterative sampling: divide the logits by this (default 1)")
    pr.add_argument("--top-p", type=float, help="iterative sampling: nucleus cut in (0, 1] (default 1)")
    pr.add_argument("--seed", type=int, help="iterative sampling: the seed of the random generator")


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..report import provenance
    from ..tasks import fill_mask

    model, tokenizer = load(args)
    targets = None if args.targets is None else args.targets.split(",")
    settings = {"top_k": args.top_k, "targets": targets, "strategy": args.strategy, "sample": args.sample,
                "temperature": args.temperature, "top_p": args.top_p, "seed": args.seed}
    texts = _texts(args)
    results = fill_mask(model, tokenizer, texts, batch_size=args.batch_size, **settings)
    if args.json:
        one = {"text": texts[0], "result": results[0]} if len(texts) == 1 and not args.data else {
            "texts": texts, "results": results}
        print_json({**one, "settings": settings, "provenance": provenance(model, tokenizer)}, ascii_only=False)
        return 0
    for number, (text, result) in enumerate(zip(texts, results), start=1):
        if len(texts) > 1:
            print(f"{'' if number == 1 else chr(10)}text {number}: {text}")
        if args.strategy == "iterative":
            _print_steps(result)
        else:
            _print_candidates(result if result and isinstance(result[0], list) else [result])
    return 0


def _texts(args: argparse.Namespace) -> list[str]:
    """The texts: the positional ones, or the non-empty samples of --data."""
    from ..errors import FillMaskError
    from ..text import iter_texts, stdin_texts

    if args.data and args.text:
        raise FillMaskError("pass the texts as arguments or with --data, not both")
    if not args.data:
        if not args.text:
            raise FillMaskError('no text: pass one, e.g. "The cat [MASK] on the mat.", or --data FILE')
        return list(args.text)
    source = stdin_texts(text_field=args.text_field) if args.data == "-" else args.data
    texts = [text for _, text in iter_texts(source, text_field=args.text_field) if text.strip()]
    if not texts:
        raise FillMaskError(f"--data {args.data!r} holds no text (every line is empty)")
    return texts


def _token_text(c: dict[str, Any]) -> str:
    return c["token_str"].strip() or repr(c["token_str"])


def _print_candidates(per_mask: list[list[dict[str, Any]]]) -> None:
    for number, candidates in enumerate(per_mask, start=1):
        if len(per_mask) > 1:
            print(f"mask {number}:")
        print(f"{'score':>10}  {'token':<15} sequence")
        for c in candidates:
            print(f"{c['score']:10.4g}  {_token_text(c):<15} {c['sequence']}")


def _print_steps(steps: list[dict[str, Any]]) -> None:
    print(f"{'step':>4} {'mask':>4} {'score':>10}  {'token':<15} sequence")
    for number, step in enumerate(steps, start=1):
        print(f"{number:>4} {step['mask'] + 1:>4} {step['score']:10.4g}  {_token_text(step):<15} {step['sequence']}")
