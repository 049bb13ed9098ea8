"""``fillmask-np eval``: masked cross-entropy, perplexity and top-k accuracy on a corpus."""

from __future__ import annotations

import argparse
import json

from ._cli_common import load, model_args


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    ev = sub.add_parser("eval", help="masked cross-entropy, perplexity and top-k accuracy on a corpus")
    model_args(ev)
    ev.add_argument("--data", help="text file (one sample per line) or JSONL; default: the bundled text")
    ev.add_argument("--text-field", help="JSONL field holding the text (default: text)")
    ev.add_argument("--seed", type=int, default=0, help="masking seed (default 0)")
    ev.add_argument("--masking", choices=("per_sample", "hf"), default="per_sample",
                    help="per_sample: sample i masked by default_rng([seed, i]) (default); "
                         "hf: replay HF's collator batch by batch")
    ev.add_argument("--mlm-probability", type=float, default=0.15, help="share of tokens selected (default 0.15)")
    ev.add_argument("--mask-replace-prob", type=float,
                    help="share of selected tokens replaced by the mask token (default 0.8; 1.0 with --whole-word)")
    ev.add_argument("--random-replace-prob", type=float,
                    help="share of selected tokens replaced by a random token (default 0.1; 0 with --whole-word); "
                         "the rest is kept")
    ev.add_argument("--whole-word", action="store_true",
                    help="mask whole words, as HF's collator with whole_word_mask=True")
    ev.add_argument("--special-tokens", choices=("template", "all_special_ids"), default="template",
                    help="never mask: template = the tokens the tokenizer added, as run_mlm.py (default); "
                         "all_special_ids = every special id wherever it occurs, as HF's collator without a mask")
    ev.add_argument("--batch-size", type=int, default=16, help="samples per batch (default 16)")
    ev.add_argument("--max-length", type=int, help="truncate samples to this many tokens (default: the model's "
                                                   "position limit or fixed length, or the tokenizer's)")
    ev.add_argument("--limit", type=int, help="evaluate only the first N non-empty samples")
    ev.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar on stderr (default: when stderr is a terminal)")


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ._resources import default_text_path
    from .evaluate import evaluate

    model, tokenizer = load(args)
    data = args.data or default_text_path()
    report = evaluate(model, tokenizer, data, seed=args.seed, masking=args.masking,
                      mlm_probability=args.mlm_probability, mask_replace_prob=args.mask_replace_prob,
                      random_replace_prob=args.random_replace_prob, whole_word=args.whole_word,
                      special_tokens=args.special_tokens, batch_size=args.batch_size,
                      max_length=args.max_length, text_field=args.text_field, limit=args.limit,
                      progress=args.progress)
    if args.json:
        out = {"model": str(model.path), "tokenizer": tokenizer.source, "data": str(data), **report.to_dict()}
        print(json.dumps(out, indent=1))
        return 0
    s = report.settings
    rows = [
        ("model", str(model.path)),
        ("data", f"{data} ({report.n_samples} samples; skipped {report.n_empty} empty, "
                 f"{report.n_unmaskable} unmaskable; {report.n_truncated} truncated to {s['max_length']})"),
        ("masking", f"{s['masking']}{', whole words' if s['whole_word'] else ''}, seed {s['seed']}, "
                    f"p={s['mlm_probability']} ({s['mask_replace_prob']} mask / {s['random_replace_prob']} random), "
                    f"special tokens: {s['special_tokens']}"),
        ("masked tokens", f"{report.n_masked} in {report.n_scored_samples} samples"),
        ("cross-entropy", f"{report.cross_entropy:.4f} nats/token"),
        ("perplexity", f"{report.perplexity:.3f}"),
        ("top-1 accuracy", f"{100 * report.top1_accuracy:.2f} %"),
        ("top-5 accuracy", f"{100 * report.top5_accuracy:.2f} %"),
    ]
    for key, value in rows:
        print(f"{key:<15} {value}")
    return 0
