"""``fillmask-np merge``: the partial files of a corpus's shards (``--shard I/N --partial F``) as one report.

The merged report is the one a single run over the whole corpus gives, bit for bit; partials of different
runs (settings, model, tokenizer, data, backend, precision), overlapping shards and missing shards are refused,
the last unless ``--allow-partial``; shards made at different ``--batch-size`` / ``--batch-tokens`` merge (execution
settings: the merged settings list the values). A merged comparison exits 1 on a REGRESSION, as ``compare`` does.
"""

from __future__ import annotations

import argparse

from .options import progress_arg
from .printing import print_json


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    p = sub.add_parser("merge", help="merge the partial files of a corpus's shards into the whole corpus's report")
    p.add_argument("partials", nargs="+", metavar="PARTIAL", help="partial files (.json or .npz) written by "
                                                                   "eval, pppl or compare with --partial")
    p.add_argument("--allow-partial", action="store_true",
                   help="merge even when shards are missing; the report says which shards it covers")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of a table")
    progress_arg(p)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status (1 for a merged comparison whose verdict is REGRESSION)."""
    from ..report import CompareReport, EvalReport, PairsReport, read_partial
    from ..report.variants_report import VariantReport
    from ..tasks import merge
    from .cmd_compare import print_table as compare_table
    from .cmd_eval import print_table as eval_table
    from .cmd_pairs import print_table as pairs_table
    from .cmd_pppl import print_table as pppl_table

    report = merge(args.partials, allow_partial=args.allow_partial, progress=args.progress)
    record = read_partial(args.partials[0])["provenance"]  # what the first shard was run on: names, not figures
    model = record.get("model", {}).get("path", "?")
    data = record.get("data", {}).get("source", "?")
    if args.json:
        out = {"merged_from": list(args.partials), **report.to_dict()}
        out.pop("tokens", None)  # per-token records are not printed (eval --tokens writes them to a file)
        print_json(out)
    elif isinstance(report, CompareReport):
        compare_table(report, model, str(record.get("reference", {}).get("path", "?")), data)
    elif isinstance(report, EvalReport):
        eval_table(model, data, report)
    elif isinstance(report, PairsReport):
        pairs_table(model, data, report)
    elif isinstance(report, VariantReport):
        from .cmd_variants import print_table as variants_table

        variants_table(model, data, report, "targets" if report.n_targets else None, None, None)
    else:
        pppl_table(model, data, report)
    return 1 if isinstance(report, CompareReport) and report.verdict == "REGRESSION" else 0
