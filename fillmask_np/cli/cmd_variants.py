"""``fillmask-np variants``: zero-shot mutation effects with a protein masked LM, as ESM's variant-prediction
``predict.py`` scores them (wt-marginals, masked-marginals, pseudo-ppl); the input table with a score column
(``-o``), Spearman's rho against ``DMS_score``; ``--html r.html`` writes a position x residue heat map."""

from __future__ import annotations

import argparse
from typing import Any

from .options import distinct_outputs, load, long_args, long_options, model_args, progress_arg, shard_args
from .ray_options import ray_args, refuse_on_ray
from .printing import file_row, print_json, print_rows, shard_rows

_DEFAULT_TARGET = "DMS_score"  # ProteinGym's measured fitness column


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    p = sub.add_parser("variants", help="score protein mutations zero-shot (ESM predict.py's strategies)")
    model_args(p)
    wild = p.add_mutually_exclusive_group(required=True)
    wild.add_argument("--sequence", help="the wild-type protein, one letter per residue")
    wild.add_argument("--fasta", help="FASTA file holding the wild type (one record)")
    p.add_argument("--mutations", required=True, help="CSV/TSV (with a header) or Parquet table of mutations")
    p.add_argument("--mutation-column", default="mutant",
                   help="column of the mutations, e.g. A24P or A24P:D30N (default: mutant, as ProteinGym)")
    p.add_argument("--offset", type=int, default=1,
                   help="the number of the sequence's first residue in the mutations (default 1: 1-based)")
    p.add_argument("--strategy", choices=("wt-marginals", "masked-marginals", "pseudo-ppl"), default="wt-marginals",
                   help="wt-marginals: one forward on the wild type (default); masked-marginals: each mutated "
                        "position masked alone; pseudo-ppl: PLL(mutant) - PLL(wild type)")
    p.add_argument("--target-column", help="measured values to correlate with (default: DMS_score when the table "
                                           "has it): Spearman's rho")
    p.add_argument("--score-column", default="score", help="name of the added column (default: score)")
    p.add_argument("--max-length", type=int, help="longest row fed to the model, specials included (default: the "
                                                  "model's limit); a longer protein is scored in windows (--long)")
    long_args(p, default="window")
    p.add_argument("--batch-tokens", type=int, default=8192, help="rows x length per model call (default 8192)")
    p.add_argument("-o", "--output", help="write the table with the score column to a .csv, .tsv or .parquet file")
    p.add_argument("--html", metavar="PATH", help="write one self-contained HTML page: the position x residue heat "
                                                  "map of the scores and their distribution")
    shard_args(p)
    ray_args(p)
    progress_arg(p)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..report import provenance
    from ..tasks import input_paths
    from ..tasks.variants import score_variants
    from ..text import check_output
    from ..text.fasta import read_fasta
    from ..text.table_file import check_table_output, read_table, write_table

    if args.ray:  # before anything is loaded or read
        refuse_on_ray(args)
    long = long_options(args)
    model, tokenizer = load(args)
    inputs = input_paths(model, tokenizer, args.mutations) + input_paths(None, None, args.fasta)
    for flag, path in (("-o", args.output), ("--html", args.html)):
        if path:  # refused before any work
            check_output(path, inputs=inputs, what=flag)
    if args.output:
        check_table_output(args.output, what="-o")
    distinct_outputs(("-o", args.output), ("--html", args.html), ("--partial", args.partial))
    wild_type = read_fasta(args.fasta) if args.fasta else args.sequence
    table = read_table(args.mutations, what="--mutations file")
    mutations = _column(table.columns, args.mutation_column, args.mutations, "--mutation-column")
    target_name = args.target_column or (_DEFAULT_TARGET if _DEFAULT_TARGET in table.columns else None)
    targets = None
    if target_name is not None:
        targets = _numbers(_column(table.columns, target_name, args.mutations, "--target-column"), target_name)
    if args.score_column in table.columns:
        from ..errors import DataError

        raise DataError(f"{args.mutations!r} already has a column {args.score_column!r}; name the scores with "
                        f"--score-column")
    options = dict(strategy=args.strategy, offset=args.offset, targets=targets, max_length=args.max_length,
                   token_budget=args.batch_tokens, shard=args.shard, partial=args.partial, progress=args.progress,
                   **long)
    if args.ray:
        from ..distributed import score_variants as on_ray
        from ..text import default_model_dir

        report = on_ray(wild_type, [str(m) for m in mutations], model=args.model or default_model_dir(),
                        tokenizer=args.tokenizer, workers=args.workers, cpus_per_worker=args.threads or 1,
                        address=args.ray, backend=args.backend, **options)
    else:
        report = score_variants(model, tokenizer, wild_type, [str(m) for m in mutations], **options)
    if args.output:  # the shard's rows with a shard
        rows = {name: [values[k] for k in report.indices] for name, values in table.columns.items()}
        write_table(args.output, {**rows, args.score_column: report.scores}, what="-o")
    record = None
    if args.json or args.html:
        record = provenance(model, tokenizer, args.mutations, strategy=report.strategy, settings=report.settings,
                            wild_type=args.fasta or "--sequence")
        if report.ray is not None:
            record["ray"] = report.ray  # the nodes that scored blocks, with their mutation counts
    if args.html:
        from ..report.html.variants_page import write_variants_html

        write_variants_html(report, args.html, provenance=record, inputs=inputs)
    if args.json:
        print_json({"model": model.name, "tokenizer": tokenizer.source, "mutations_file": args.mutations,
                    "target_column": target_name, **report.to_dict(), "output_file": args.output,
                    "html_file": args.html, "provenance": record})
        return 0
    print_table(model.name, args.mutations, report, target_name, args.output, args.html)
    return 0


def _column(columns: dict[str, list[Any]], name: str, path: str, flag: str) -> list[Any]:
    """Column ``name`` of the mutations table, or a ``DataError`` listing the columns there are."""
    from ..errors import DataError

    if name not in columns:
        raise DataError(f"{path!r} has no column {name!r} (columns: {list(columns)}); pick it with {flag}")
    return columns[name]


def _numbers(values: list[Any], name: str) -> list[float]:
    """A target column as floats, or a ``DataError`` naming the first cell that is not a number."""
    from ..errors import DataError

    out = []
    for row, value in enumerate(values, start=1):
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            raise DataError(f"column {name!r} row {row} holds {value!r}, not a number; fix the cell or pick another "
                            f"--target-column") from None
    return out


def print_table(model: str, mutations: str, report: Any, target: str | None, output: str | None,
                html: str | None) -> None:
    """Print a ``VariantReport`` as the command's table."""
    import numpy as np

    scores = report.score_array()
    s = report.settings
    windows = f"; {report.n_windows} windows of {s['window_residues']} (stride {s['stride']})" \
        if report.n_windows > 1 else ""
    rows = [
        ("model", model),
        ("mutations", f"{mutations} ({len(scores)} mutations, offset {report.offset})"),
        ("wild type", f"{report.sequence_length} residues{windows}"),
        ("strategy", f"{report.strategy} ({report.n_forward_rows} model rows)"),
        ("scores", f"mean {np.mean(scores):.4f}, min {np.min(scores):.4f}, max {np.max(scores):.4f} nats"
         if len(scores) else "none"),
    ]
    rows += shard_rows(report)
    if target is not None:
        rho = "undefined (a constant column)" if report.spearman is None else f"{report.spearman:.4f}"
        rows.append(("spearman", f"{rho} against {target} ({report.n_targets} mutations)"))
    rows += file_row("partial", report.saved_partial)
    if output:
        rows.append(("output", output))
    if html:
        rows.append(("html report", html))
    print_rows(rows, width=11)
