"""``fillmask-np pairs``: minimal pairs (BLiMP, CrowS-Pairs) scored by pseudo-log-likelihood: the share of pairs
whose good sentence the model finds more likely, per group; ``--html r.html`` writes the report as one page."""

from __future__ import annotations

import argparse
from typing import Any

from .options import distinct_outputs, load, long_options, model_args, pll_args, progress_arg, shard_args
from .ray_options import ray_args, refuse_on_ray
from .printing import file_row, print_json, print_rows, shard_rows


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    p = sub.add_parser("pairs", help="score minimal pairs (BLiMP, CrowS-Pairs) by pseudo-log-likelihood")
    model_args(p)
    p.add_argument("--data", required=True, help="pairs file: JSONL, CSV/TSV (with a header) or Parquet, one pair "
                                                 "per record")
    p.add_argument("--good-field", help="field of the better sentence (default: detected, BLiMP's sentence_good or "
                                        "CrowS-Pairs' sent_more)")
    p.add_argument("--bad-field", help="field of the worse sentence (default: detected, BLiMP's sentence_bad or "
                                       "CrowS-Pairs' sent_less)")
    p.add_argument("--group-field", help="field grouping the pairs (BLiMP's UID or linguistics_term, CrowS-Pairs' "
                                         "bias_type): accuracy and count per group")
    pll_args(p, unit="pairs")
    p.add_argument("--html", metavar="PATH", help="write the report as one self-contained HTML page (accuracy per "
                                                  "group, the PLL(good) - PLL(bad) distribution, the worst pairs)")
    shard_args(p)
    ray_args(p)
    progress_arg(p)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..report import provenance, render_html
    from ..tasks import input_paths, score_pairs
    from ..text import check_output

    if args.ray:  # before anything is loaded or read
        refuse_on_ray(args)
    long = long_options(args)
    model, tokenizer = load(args)
    inputs = input_paths(model, tokenizer, args.data)
    if args.html:  # refused before any work
        check_output(args.html, inputs=inputs, what="--html")
    distinct_outputs(("--html", args.html), ("--partial", args.partial))
    options = dict(variant=args.variant, good_field=args.good_field, bad_field=args.bad_field,
                   group_field=args.group_field, special_tokens=args.special_tokens, max_length=args.max_length,
                   token_budget=args.batch_tokens, limit=args.limit, progress=args.progress, shard=args.shard,
                   partial=args.partial, **long)
    if args.ray:
        from ..distributed import score_pairs as on_ray
        from ..text import default_model_dir

        report = on_ray(args.data, model=args.model or default_model_dir(), tokenizer=args.tokenizer,
                        workers=args.workers, cpus_per_worker=args.threads or 1, address=args.ray,
                        backend=args.backend, **options)
    else:
        report = score_pairs(model, tokenizer, args.data, **options)
    record = None
    if args.json or args.html:
        record = provenance(model, tokenizer, args.data, variant=report.variant, settings=report.settings)
        if report.ray is not None:
            record["ray"] = report.ray  # the nodes that scored blocks, with their pair counts
    if args.html:
        render_html(report, args.html, provenance=record, inputs=inputs)
    if args.json:
        print_json({"model": model.name, "tokenizer": tokenizer.source, "data": args.data, **report.to_dict(),
                    "html_file": args.html, "provenance": record})
        return 0
    print_table(model.name, args.data, report, args.html)
    if not model.gathers_positions:
        print("note: this model computes logits at every position of every copy; a model rewritten by "
              "`fillmask-np optimize` runs its head on the scored rows only (much faster)")
    return 0


def print_table(model: str, data: str, report: Any, html: str | None = None) -> None:
    """Print a ``PairsReport`` as the command's table (``model`` and ``data``: how to name them)."""
    from ..metrics import unknown_summary

    s = report.settings
    rows = [
        ("model", model),
        ("data", f"{data} ({report.n_pairs} pairs; {report.n_truncated} sentences truncated to {s['max_length']})"),
        ("unknown tokens", unknown_summary(vars(report))),
        ("variant", f"{report.variant} (special tokens never scored: {s['special_tokens']})"),
        ("accuracy", f"{100 * report.accuracy:.2f} % ({report.n_correct} of {report.n_pairs} pairs with "
                     f"PLL(good) > PLL(bad); {report.n_ties} ties)"),
        ("mean dPLL", f"{report.mean_delta_pll:.4f} nats (PLL(good) - PLL(bad))"),
    ]
    for name, group in (report.groups or {}).items():
        rows.append((f"  {name}", f"{100 * group['accuracy']:.2f} % of {group['count']}"))
    rows += shard_rows(report)
    rows += file_row("partial", report.saved_partial)
    if html:
        rows.append(("html report", html))
    print_rows(rows, width=14)
