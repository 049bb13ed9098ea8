"""``fillmask-np predict``: the top-k fillers of each mask token of a text."""

from __future__ import annotations

import argparse
import json

from ._cli_common import load, model_args


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    pr = sub.add_parser("predict", help="top-k fillers for each mask token of a text")
    model_args(pr)
    pr.add_argument("text", help='text with mask tokens, e.g. "The cat [MASK] on the mat."')
    pr.add_argument("--top-k", type=int, default=5, help="candidates per mask (default 5)")


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from .predict import fill_mask

    model, tokenizer = load(args)
    result = fill_mask(model, tokenizer, args.text, top_k=args.top_k)
    per_mask = result if result and isinstance(result[0], list) else [result]
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    for number, candidates in enumerate(per_mask, start=1):
        if len(per_mask) > 1:
            print(f"mask {number}:")
        for c in candidates:
            print(f"{c['score']:8.4f}  {c['token_str']:<15} {c['sequence']}")
    return 0
