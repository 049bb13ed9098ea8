"""``fillmask-np eval``: masked cross-entropy, perplexity and top-k accuracy on a corpus.

``--save-masks m.npz`` writes the masks drawn; ``--masks m.npz`` scores them again (any backend can:
see the README). A replay takes every masking setting from the file: a masking option given on the
command line that differs from the file's is refused, one left out takes the file's value.
``--worst N`` prints the N highest-loss masked tokens after the table; ``--tokens t.npz|.jsonl|.csv|.parquet``
writes every masked token's row (``report.per_token``); ``--html r.html`` writes the report as one page.
"""

from __future__ import annotations

import argparse
from typing import Any

from .options import (data_args, data_label, data_source, distinct_outputs, load, long_args, long_options, masking_args,
                      masking_options, model_args, model_label, progress_arg, shard_args)
from .ray_options import ray_args, refuse_on_ray
from .printing import file_row, print_json, print_rows, shard_rows


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    ev = sub.add_parser("eval", help="masked cross-entropy, perplexity and top-k accuracy on a corpus")
    model_args(ev)
    data_args(ev)
    masking_args(ev)
    long_args(ev)
    ev.add_argument("--save-masks", metavar="PATH", help="write the masks drawn to this .npz mask manifest")
    ev.add_argument("--masks", metavar="PATH", help="score the masks of this manifest (from --save-masks) instead "
                                                    "of drawing; it must match the tokenizer and data")
    ev.add_argument("--worst", type=int, default=0, metavar="N",
                    help="print the N highest-loss masked tokens with their context")
    ev.add_argument("--tokens", metavar="PATH", help="write one row per masked token (sample, source position, token "
                                                     "position, label, input and what it was, loss, rank, top-1, "
                                                     "probability of the label) to PATH.npz, .jsonl, .csv or .parquet")
    ev.add_argument("--html", metavar="PATH", help="write the report as one self-contained HTML page (charts, the "
                                                   "worst samples with each masked token's loss and top-5)")
    shard_args(ev)
    ray_args(ev)
    progress_arg(ev)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..masking import load_masks
    from ..report import check_tokens_path, provenance, render_html, token_table, write_tokens
    from ..tasks import evaluate, input_paths
    from ..text import check_output

    if args.ray:  # before anything is loaded or read
        refuse_on_ray(args, ("--masks", args.masks), ("--save-masks", args.save_masks))
    manifest = load_masks(args.masks) if args.masks else None
    options = masking_options(args, manifest)
    long = long_options(args)
    model, tokenizer = load(args)
    data = data_source(args)
    inputs = input_paths(model, tokenizer, data, args.masks)
    if args.tokens:  # refused before any work
        check_tokens_path(args.tokens, inputs=inputs)
    if args.save_masks:
        check_output(args.save_masks, inputs=inputs, what="--save-masks")
    if args.html:
        check_output(args.html, inputs=inputs, what="--html")
    distinct_outputs(("--tokens", args.tokens), ("--save-masks", args.save_masks), ("--html", args.html),
                     ("--partial", args.partial))
    if args.ray:
        report = _on_ray(args, {**options, **long})
    else:
        report = evaluate(model, tokenizer, data, text_field=args.text_field, progress=args.progress, masks=manifest,
                          save_masks=args.save_masks, return_tokens=bool(args.tokens or args.html),
                          return_top5=bool(args.html), worst=args.worst, shard=args.shard, partial=args.partial,
                          **long, **options)
    if args.tokens:
        write_tokens(args.tokens, token_table(report.tokens, report.per_sample, tokenizer))
    saved = report.saved_masks
    record = _provenance(provenance, model, tokenizer, data, report) if args.html or args.json else None
    if record is not None and report.ray is not None:
        record["ray"] = report.ray  # the nodes that scored blocks, with their sample counts
    if args.html:
        render_html(report, args.html, tokenizer=tokenizer, texts=data, text_field=args.text_field,
                    provenance=record, inputs=inputs)
    if args.json:
        out = {"model": model.name, "tokenizer": tokenizer.source, "data": data_label(args, data),
               **report.to_dict()}
        del out["tokens"]  # they go to --tokens
        out.update(tokens_file=args.tokens, html_file=args.html, saved_masks=saved, provenance=record)
        print_json(out)
        return 0
    print_table(model_label(model), data_label(args, data), report, saved, args.tokens, args.html)
    return 0


def _on_ray(args: argparse.Namespace, options: dict[str, Any]) -> Any:
    """``fillmask_np.distributed.evaluate`` with the command's options."""
    from ..distributed import evaluate as ray_evaluate
    from ..text import default_model_dir

    return ray_evaluate(args.data or str(data_source(args)), model=args.model or default_model_dir(),
                        tokenizer=args.tokenizer, text_field=args.text_field, workers=args.workers,
                        cpus_per_worker=args.threads or 1, address=args.ray, backend=args.backend,
                        progress=args.progress, return_tokens=bool(args.tokens or args.html),
                        return_top5=bool(args.html), worst=args.worst, shard=args.shard, partial=args.partial,
                        **options)


def _provenance(provenance: Any, model: Any, tokenizer: Any, data: Any, report: Any) -> dict[str, Any]:
    from ..metrics import EVAL_REPORT_COUNTS

    s = report.settings
    policy = {k: s[k] for k in ("masking", "whole_word", "special_tokens", "mlm_probability", "mask_replace_prob",
                                "random_replace_prob", "max_length", "batch_size", "limit", "shard")}
    policy.update(long=s.get("long", "truncate"), stride=s.get("stride"))
    counts = {k: getattr(report, k) for k in EVAL_REPORT_COUNTS}
    masks = {"path": s["masks_file"], "sha256": s["masks_sha256"]} if "masks_file" in s else None
    return provenance(model, tokenizer, data, seed=s["seed"], masking=policy, masks=masks, counts=counts)


def print_table(model: str, data: str, report: Any, saved: dict | None = None, tokens_file: str | None = None,
                html_file: str | None = None) -> None:
    """Print an ``EvalReport`` as the command's table (``model`` and ``data``: how to name them)."""
    from ..metrics import unknown_summary

    s = report.settings
    rows = [
        ("model", model),
        ("data", f"{data} ({report.n_samples} samples; skipped {report.n_empty} empty, "
                 f"{report.n_unmaskable} unmaskable; {report.n_truncated} truncated to {s['max_length']})"),
        ("unknown tokens", unknown_summary(vars(report))),
        ("masking", f"{s['masking']}{', whole words' if s['whole_word'] else ''}, seed {s['seed']}, "
                    f"p={s['mlm_probability']} ({s['mask_replace_prob']} mask / {s['random_replace_prob']} random), "
                    f"special tokens: {s['special_tokens']}"),
    ]
    if s.get("long") == "window":
        rows.append(("long samples", f"windows of {s['max_length']} tokens, stride {s['stride']}"))
    if "masks_file" in s:
        rows.append(("masks", f"replayed from {s['masks_file']} (sha256 {s['masks_sha256'][:16]}...)"))
    rows += shard_rows(report)
    rows += [
        ("masked tokens", f"{report.n_masked} in {report.n_scored_samples} samples"),
        ("cross-entropy", f"{report.cross_entropy:.4f} nats/token"),
        ("perplexity", f"{report.perplexity:.3f}"),
        ("top-1 accuracy", f"{100 * report.top1_accuracy:.2f} %"),
        ("top-5 accuracy", f"{100 * report.top5_accuracy:.2f} %"),
    ]
    rows += file_row("saved masks", saved) + file_row("partial", report.saved_partial)
    if tokens_file:
        rows.append(("token records", tokens_file))
    if html_file:
        rows.append(("html report", html_file))
    print_rows(rows, width=15)
    if report.worst_tokens:
        print(f"\nworst {len(report.worst_tokens)} masked tokens (loss in nats, rank of the label, label -> top "
              f"prediction, sample:token position, context as the model saw it):")
        for w in report.worst_tokens:
            print(f"{w['loss']:8.3f} {w['rank']:6d}  {w['label_token']!r} -> {w['top_token']!r}  "
                  f"{w['sample']}:{w['position']}  {w['context']}")
