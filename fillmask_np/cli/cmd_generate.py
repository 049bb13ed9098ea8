"""``fillmask-np generate``: fill masks, continue a prefix or generate from nothing by iterative unmasking."""

from __future__ import annotations

import argparse
from typing import Any

from .options import load, model_args, progress_arg
from .printing import print_json


def _schedule(value: str) -> Any:
    """``linear``, ``cosine`` or comma-separated counts per step (``3,2,1``)."""
    if value in ("linear", "cosine"):
        return value
    try:
        return [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not linear, cosine or counts like 3,2,1") from None


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    g = sub.add_parser("generate", help="fill masks over a few steps (Mask-Predict / MaskGIT style): infill, "
                                        "continue a prefix, or generate a whole sequence")
    model_args(g)
    g.add_argument("text", nargs="*", help='prompts with mask tokens, e.g. "The [MASK] sat on the [MASK]." (or '
                                           'prefixes, with --new-tokens)')
    g.add_argument("--data", help="prompts, one per line (text file, JSONL, CSV/TSV, Parquet; - for standard input); "
                                  "empty lines are skipped")
    g.add_argument("--text-field", help="JSONL field or CSV/TSV/Parquet column holding the prompt (default: text)")
    g.add_argument("--prefix", help="text to continue (with --new-tokens)")
    g.add_argument("--new-tokens", type=int, help="masks appended to each prompt, before its final special token")
    g.add_argument("--length", type=int, help="generate from nothing: this many masks between the special tokens")
    g.add_argument("--steps", type=int, help="unmasking steps (default: one mask per step); 1 fills all at once")
    g.add_argument("--schedule", type=_schedule, default="linear",
                   help="masks filled per step: linear (default), cosine (MaskGIT) or counts like 3,2,1")
    g.add_argument("--unmask", choices=("confidence", "random", "left_to_right"), default="confidence",
                   help="which masks a step fills (default: the most confident)")
    g.add_argument("--sample", action=argparse.BooleanOptionalAction, default=None,
                   help="draw tokens instead of the argmax (default: when --temperature/--top-k/--top-p or "
                        "--num-samples > 1 is given)")
    g.add_argument("--temperature", type=float, help="sampling: divide the logits by this (default 1)")
    g.add_argument("--top-k", type=int, help="sampling: keep the k best tokens (default: all)")
    g.add_argument("--top-p", type=float, help="sampling: nucleus cut in (0, 1] (default 1)")
    g.add_argument("--seed", type=int,
                   help="seed of sampling and --unmask random (prompt p, sample s draws with default_rng([seed, p, s]))")
    g.add_argument("--num-samples", type=int, default=1, help="generations per prompt (default 1)")
    g.add_argument("--targets", help="comma-separated allowed tokens (vocabulary entries or one-token words)")
    g.add_argument("--include-special", action="store_true", help="allow special tokens ([CLS], <pad>, ...)")
    g.add_argument("--max-steps", type=int, help="stop after this many steps; the masks left are reported")
    g.add_argument("--batch-size", type=int, default=16, help="rows (prompts x samples) per model run (default 16)")
    g.add_argument("--history", help="write every step (positions, tokens, probabilities, top-k) to this .npz")
    g.add_argument("--history-top-k", type=int, help="top-k ids kept per masked position and step (default 5 "
                                                     "with --history, else 0)")
    progress_arg(g)


def _prompts(args: argparse.Namespace) -> Any:
    """The prompts: positional texts, --prefix, or the non-empty samples of --data."""
    from ..errors import FillMaskError
    from ..text import iter_texts, stdin_texts

    given = [name for name, value in (("text", args.text), ("--prefix", args.prefix), ("--data", args.data),
                                      ("--length", args.length)) if value]
    if len(given) > 1:
        raise FillMaskError(f"pass the prompts one way: {' and '.join(given)} were both given")
    if args.data:
        source = stdin_texts(text_field=args.text_field) if args.data == "-" else args.data
        texts = [text for _, text in iter_texts(source, text_field=args.text_field) if text.strip()]
        if not texts:
            raise FillMaskError(f"--data {args.data!r} holds no prompt (every line is empty)")
        return texts
    return args.text or None


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..report import provenance
    from ..tasks import generate, input_paths
    from ..text import check_output

    model, tokenizer = load(args)
    if args.history:  # before any work, the data file included among the inputs
        check_output(args.history, inputs=input_paths(model, tokenizer, args.data), what="--history")
    top = args.history_top_k if args.history_top_k is not None else (5 if args.history else 0)
    out = generate(model, tokenizer, _prompts(args), prefix=args.prefix, new_tokens=args.new_tokens,
                   length=args.length, steps=args.steps, schedule=args.schedule, unmask=args.unmask,
                   sample=args.sample, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                   seed=args.seed, num_samples=args.num_samples,
                   targets=None if args.targets is None else args.targets.split(","),
                   exclude_special=not args.include_special, max_steps=args.max_steps, history_top_k=top,
                   history=args.history, batch_size=args.batch_size, progress=args.progress)
    history = None if args.history is None else {"path": args.history, "sha256": out.history_sha256}
    if args.json:
        decode = lambda i: tokenizer.decode([i], skip_special_tokens=False)  # noqa: E731
        report = {"settings": out.settings, "results": [g.as_dict(decode) for g in out], **out.cost(),
                  "history": history, "provenance": provenance(model, tokenizer)}
        print_json(report, ascii_only=False)
        return 0
    for g in out:
        label = f"{g.prompt_index}" + (f".{g.sample_index}" if args.num_samples > 1 else "")
        unfilled = f"  ({len(g.unfilled)} masks unfilled: --max-steps reached)" if len(g.unfilled) else ""
        print(f"{label:>6}  {g.text}{unfilled}")
    print(f"# {out.tokens_filled} tokens in {out.model_runs} model runs, {out.seconds:.3f} s, "
          f"{out.tokens_per_second:.0f} tokens/s" + (f"; history: {args.history}" if args.history else ""))
    return 0
