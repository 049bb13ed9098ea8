"""``fillmask-np pppl``: pseudo-log-likelihood and pseudo-perplexity of a corpus (every token masked once);
``--html r.html`` writes the report as one page with a per-token heat map."""

from __future__ import annotations

import argparse

from typing import Any

from .options import (data_args, data_label, data_source, load, long_options, pll_args, model_args, distinct_outputs,
                      model_label, progress_arg, shard_args)
from .ray_options import ray_args, refuse_on_ray
from .printing import file_row, print_json, print_rows, shard_rows


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    pp = sub.add_parser("pppl", help="pseudo-log-likelihood and pseudo-perplexity (every token masked once)")
    model_args(pp)
    data_args(pp)
    pll_args(pp, unit="non-empty samples")
    pp.add_argument("--html", metavar="PATH", help="write the report as one self-contained HTML page (charts, a "
                                                   "heat map of each scored token's -log P)")
    shard_args(pp)
    ray_args(pp)
    progress_arg(pp)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..metrics import PLL_REPORT_COUNTS
    from ..report import provenance, render_html
    from ..tasks import input_paths, pseudo_log_likelihood
    from ..text import check_output

    if args.ray:  # before anything is loaded or read
        refuse_on_ray(args)
    long = long_options(args)
    model, tokenizer = load(args)
    data = data_source(args)
    inputs = input_paths(model, tokenizer, data)
    if args.html:  # refused before any work
        check_output(args.html, inputs=inputs, what="--html")
    distinct_outputs(("--html", args.html), ("--partial", args.partial))
    options = dict(variant=args.variant, special_tokens=args.special_tokens, max_length=args.max_length,
                   token_budget=args.batch_tokens, text_field=args.text_field, limit=args.limit, progress=args.progress,
                   return_tokens=bool(args.html), shard=args.shard, partial=args.partial, **long)
    if args.ray:
        from ..distributed import pseudo_log_likelihood as on_ray
        from ..text import default_model_dir

        report = on_ray(str(data), model=args.model or default_model_dir(), tokenizer=args.tokenizer,
                        workers=args.workers, cpus_per_worker=args.threads or 1, address=args.ray,
                        backend=args.backend, **options)
    else:
        report = pseudo_log_likelihood(model, tokenizer, data, **options)
    record = None
    if args.json or args.html:
        counts = {key: getattr(report, key) for key in PLL_REPORT_COUNTS}
        record = provenance(model, tokenizer, data, variant=report.variant, settings=report.settings, counts=counts)
        if report.ray is not None:
            record["ray"] = report.ray
    if args.html:
        render_html(report, args.html, tokenizer=tokenizer, texts=data, text_field=args.text_field,
                    provenance=record, inputs=inputs)
    if args.json:
        out = {"model": model.name, "tokenizer": tokenizer.source, "data": data_label(args, data),
               **report.to_dict(), "html_file": args.html, "provenance": record}
        out["tokens"] = None  # recorded for --html only: the JSON is the same with or without it
        print_json(out)
        return 0
    print_table(model_label(model), data_label(args, data), report, args.html)
    if not model.gathers_positions:
        print("note: this model computes logits at every position of every copy; a model rewritten by "
              "`fillmask-np optimize` runs its head on the scored rows only (much faster for pppl)")
    return 0


def print_table(model: str, data: str, report: Any, html: str | None = None) -> None:
    """Print a ``PLLReport`` as the command's table (``model`` and ``data``: how to name them)."""
    from ..metrics import unknown_summary

    s = report.settings
    rows = [
        ("model", model),
        ("data", f"{data} ({report.n_samples} samples; skipped {report.n_empty} empty, "
                 f"{report.n_unscorable} unscorable; {report.n_truncated} truncated to {s['max_length']})"),
        ("unknown tokens", unknown_summary(vars(report))),
        ("variant", f"{report.variant} (special tokens never scored: {s['special_tokens']})"),
        ("scored tokens", f"{report.n_scored_tokens} in {report.n_scored_samples} samples, one masked copy each"),
        ("PLL", f"{report.pseudo_log_likelihood:.4f} nats (sum)"),
        ("-PLL / token", f"{report.nll_per_token:.4f} nats"),
        ("PPPL", f"{report.pseudo_perplexity:.3f}"),
        *shard_rows(report),
    ]
    if s.get("long") == "window":
        rows.insert(2, ("long samples", f"windows of {s['max_length']} tokens, stride {s['stride']}"))
    rows += file_row("partial", report.saved_partial)
    if html:
        rows.append(("html report", html))
    print_rows(rows, width=14)
