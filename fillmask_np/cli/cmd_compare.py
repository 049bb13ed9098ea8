"""``fillmask-np compare``: two models on identical masks; exits 1 on a REGRESSION, so it can gate CI.
``--html r.html`` writes the comparison as one page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .options import (data_args, data_label, data_source, load, load_model, masking_args, masking_options, model_args,
                      model_label, progress_arg, shard_args, distinct_outputs)
from .ray_options import ray_args, refuse_on_ray
from .printing import file_row, print_json, print_rows, shard_rows

_EXIT = {"PASS": 0, "AT_RISK": 0, "REGRESSION": 1}
# (option, help) of each threshold; the defaults are the profiles' (metrics.profiles, not imported here: --help
# stays light; tests/cli/test_compare_verdict.py checks that this help text states them)
_THRESHOLDS = (
    ("at-risk", "relative ΔCE (upper end of its bootstrap 95%% interval; the point estimate with --bootstrap 0) "
                "above which the verdict is at least AT_RISK (default: fidelity 0.001, lossy 0.01)"),
    ("regression", "relative ΔCE above which the verdict is REGRESSION, exit 1 (default: fidelity 0.01, lossy 0.05)"),
    ("kl-at-risk", "mean KL(reference||candidate), nats per masked token, above which the verdict is at least "
                   "AT_RISK (default: fidelity 1e-05, lossy 0.005)"),
    ("kl-regression", "mean KL above which the verdict is REGRESSION (default: fidelity 5e-05, lossy 0.05)"),
    ("agreement-at-risk", "top-1 agreement below which the verdict is at least AT_RISK (default: fidelity 0.95, "
                          "lossy 0.9)"),
    ("agreement-regression", "top-1 agreement below which the verdict is REGRESSION (default: fidelity 0.9, "
                             "lossy 0.7)"),
    ("top5-at-risk", "top-5 overlap below which the verdict is at least AT_RISK (default: fidelity 0.95, lossy 0.9)"),
    ("top5-regression", "top-5 overlap below which the verdict is REGRESSION (default: fidelity 0.9, lossy 0.7)"),
    ("max-logit-at-risk", "largest |logit difference| above which the verdict is at least AT_RISK (default: "
                          "fidelity 0.04, lossy not judged)"),
    ("max-logit-regression", "largest |logit difference| above which the verdict is REGRESSION (default: fidelity "
                             "0.06, lossy not judged)"),
)


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    p = sub.add_parser("compare", help="compare a candidate model with a reference on identical masks "
                                       "(exit 0 PASS/AT_RISK, 1 REGRESSION)")
    model_args(p)
    p.add_argument("--reference", required=True,
                   help="the baseline: model.onnx, an export directory, a Hugging Face checkpoint directory "
                        "(config.json + model.safetensors: run by NumPy, no torch) or a torch reference.npz "
                        "(with --masks)")
    p.add_argument("--reference-backend", choices=("auto", "onnx", "numpy"), default="auto",
                   help="how to run the reference: auto (default: ONNX Runtime for an .onnx export, NumPy for a "
                        "checkpoint), onnx, or numpy (its checkpoint even when a model.onnx is beside it)")
    p.add_argument("--reference-precision", choices=("float32", "float64"),
                   help="the NumPy backend's arithmetic for a checkpoint reference: float32 (default) or float64 "
                        "(the exact reference, to see how far float32 is from exact)")
    data_args(p)
    p.add_argument("--masks", help="mask manifest (masks.npz) to replay; required with a reference .npz")
    masking_args(p)
    p.add_argument("--bootstrap", type=int, default=1000,
                   help="paired bootstrap resamples for the ΔCE 95%% interval (default 1000; 0 skips it)")
    p.add_argument("--bootstrap-seed", type=int, default=0, help="bootstrap seed (default 0)")
    group = p.add_argument_group("verdict thresholds", "PASS when every criterion is within its AT_RISK "
                                 "threshold, REGRESSION when any is beyond its REGRESSION threshold, else AT_RISK "
                                 "(thresholds inclusive); each option replaces one value of the profile's")
    group.add_argument("--profile", choices=("auto", "fidelity", "lossy"), default="auto",
                       help="the thresholds' preset: fidelity (a float32/float16 conversion against its source: "
                            "bounds set from float noise, the largest |Δlogit| judged) or lossy (int8 and other "
                            "approximations); auto (default): lossy when either ONNX graph holds quantized "
                            "operators, else fidelity")
    for option, text in _THRESHOLDS:
        group.add_argument(f"--{option}", type=float, metavar="X", help=text)
    p.add_argument("--html", metavar="PATH", help="write the comparison as one self-contained HTML page (verdict, "
                                                  "criteria, ΔCE histogram, the samples that got most worse)")
    shard_args(p)
    ray_args(p)
    progress_arg(p)


def _reference(args: argparse.Namespace) -> tuple[Any, Any]:  # (OnnxMaskedLM | Path, Tokenizer | None)
    """The reference model (loaded with the candidate's options, --reference-backend and --reference-precision) and
    its own tokenizer, if it has one."""
    from ..errors import FillMaskError, InputFileError

    args = argparse.Namespace(**{**vars(args), "backend": args.reference_backend,
                                 "precision": args.reference_precision})
    path = Path(args.reference)
    if path.suffix == ".npz":
        if args.precision is not None:
            raise FillMaskError(f"--reference-precision {args.precision} applies to a checkpoint reference run by "
                                f"NumPy; the torch logits in {str(path)!r} are what they are: drop it")
        return path, None
    if args.tokenizer:  # one tokenizer given for both
        return load_model(path, args), None
    try:
        return load(args, model_option="reference")
    except InputFileError:  # no tokenizer beside the reference (e.g. a variant directory): the candidate's is used
        if not path.exists():
            raise
        return load_model(path, args), None


def _thresholds(args: argparse.Namespace, candidate: Any, reference: Any) -> Any:  # Thresholds | None
    """The profile's thresholds with the values given on the command line, or None when none is given."""
    from dataclasses import replace

    from ..metrics import PROFILES, pick_profile

    given = {name: value for name in (o.replace("-", "_") for o, _ in _THRESHOLDS)
             if (value := getattr(args, name)) is not None}
    if not given:
        return None
    name, _ = pick_profile(args.profile, candidate.describe(),
                           None if isinstance(reference, Path) else reference.describe())
    return replace(PROFILES[name], **given)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns 0 on PASS or AT_RISK, 1 on REGRESSION."""
    from ..masking import load_masks
    from ..report import render_html
    from ..tasks import compare, input_paths
    from ..text import check_output

    if args.ray:  # before the options below are set for the one-process run
        refuse_on_ray(args, ("--masks", args.masks))
    if args.spinning is None:  # two sessions take turns: one's spin-waiting threads would slow the other
        args.spinning = False
    candidate, tokenizer = load(args)
    reference, reference_tokenizer = _reference(args)
    data = data_source(args)
    manifest = load_masks(args.masks) if args.masks else None
    options = masking_options(args, manifest)  # given, else the masks file's (a conflict is an error), else default
    thresholds = _thresholds(args, candidate, reference)
    inputs: list[Path] = []
    if args.html:  # refused before any work
        is_npz = isinstance(reference, Path)
        inputs = input_paths(candidate, tokenizer, data, args.masks) + input_paths(
            None if is_npz else reference, reference_tokenizer, None, reference if is_npz else None)
        check_output(args.html, inputs=inputs, what="--html")
    distinct_outputs(("--html", args.html), ("--partial", args.partial))
    common = dict(text_field=args.text_field, bootstrap=args.bootstrap, bootstrap_seed=args.bootstrap_seed,
                  progress=args.progress, shard=args.shard, partial=args.partial, profile=args.profile,
                  thresholds=thresholds, **options)
    if args.ray:
        from ..distributed import compare as on_ray
        from ..text import default_model_dir

        report = on_ray(str(data), model=args.model or default_model_dir(), reference=args.reference,
                        tokenizer=args.tokenizer, reference_backend=args.reference_backend,
                        reference_precision=args.reference_precision,
                        reference_tokenizer=None if reference_tokenizer is None else reference_tokenizer.source,
                        workers=args.workers, cpus_per_worker=args.threads or 1, address=args.ray,
                        backend=args.backend, **common)
    else:
        report = compare(candidate, reference, tokenizer, data, reference_tokenizer=reference_tokenizer,
                         masks=manifest, **common)
    note = (report.provenance.get("reference") or {}).get("note")
    if note and Path(args.reference).is_dir():  # which of the directory's two models was the reference
        print(f"fillmask-np: note: --reference {note}", file=sys.stderr)
    if args.html:
        render_html(report, args.html, texts=data, text_field=args.text_field, inputs=inputs)
    if args.json:
        out = report.to_dict()
        if report.ray is not None:
            out["provenance"]["ray"] = report.ray  # the nodes that scored blocks, with their sample counts
        print_json(out)
    else:
        print_table(report, model_label(candidate), model_label(reference, args.reference), data_label(args, data))
        print_rows(file_row("partial", report.saved_partial) + ([("html report", args.html)] if args.html else []),
                   width=16)
    return _EXIT[report.verdict]


def print_table(report: Any, candidate: str, reference: str, data: str) -> None:
    """Print a ``CompareReport`` as the command's table (``candidate``, ``reference``, ``data``: how to name them)."""
    from ..metrics import unknown_summary

    c, r, s = report.candidate, report.reference, report.settings
    ci = report.delta_ci95
    lines = [
        ("candidate", candidate),
        ("reference", str(reference) + {"torch_npz": " (torch logits)", "numpy": " (checkpoint, NumPy backend)"}.get(
            s["reference_kind"], "")),
        ("data", f"{data} ({c.n_samples} samples; {c.n_truncated} truncated to {s['max_length']}, "
                 f"set by {s['max_length_from']})"),
        ("unknown tokens", unknown_summary(vars(c))),
        ("masking", f"{s['masking']}{', whole words' if s['whole_word'] else ''}, seed {s['seed']}, "
                    f"p={s['mlm_probability']}"
                    + (f", replayed from {s['masks_file']}" if s.get("masks_file") else "")),
        *shard_rows(report),
        ("masked tokens", f"{report.n_masked} in {c.n_scored_samples} samples"),
        ("", f"{'candidate':>12} {'reference':>12} {'Δ':>12}"),
        ("cross-entropy", f"{c.cross_entropy:>12.6f} {r.cross_entropy:>12.6f} {report.delta_cross_entropy:>+12.3e}"),
        ("perplexity", f"{c.perplexity:>12.4f} {r.perplexity:>12.4f} {c.perplexity - r.perplexity:>+12.3e}"),
        ("top-1 accuracy", f"{100 * c.top1_accuracy:>11.2f}% {100 * r.top1_accuracy:>11.2f}% "
                           f"{100 * (c.top1_accuracy - r.top1_accuracy):>+11.2f}%"),
        ("top-5 accuracy", f"{100 * c.top5_accuracy:>11.2f}% {100 * r.top5_accuracy:>11.2f}% "
                           f"{100 * (c.top5_accuracy - r.top5_accuracy):>+11.2f}%"),
        ("ΔCE relative", f"{100 * report.relative_delta:+.4f} %"),
        ("ΔCE 95% CI", "not computed (--bootstrap 0)" if ci is None else
         f"[{ci[0]:+.3e}, {ci[1]:+.3e}] nats ({s['bootstrap']} paired bootstrap resamples of masked tokens, "
         f"seed {s['bootstrap_seed']})"),
        ("KL(ref||cand)", f"{report.mean_kl:.6g} nats/token (mean)"),
        ("top-1 agreement", f"{100 * report.top1_agreement:.2f} %"),
        ("top-5 overlap", f"{100 * report.top5_overlap:.2f} %"),
        ("max |Δlogit|", f"{report.max_abs_logit_diff:.6g}"),
        ("logit cosine", f"mean {report.mean_cosine:.8f}, min {report.min_cosine:.8f}"),
        *([("profile", f"{report.profile['name']} ({report.profile['reason']}"
                       + ("; thresholds given)" if report.profile["thresholds"] == "given" else ")"))]
          if report.profile else []),
        ("criterion", f"{'value':>12} {'AT_RISK':>12} {'REGRESSION':>12}  status"),
        *[_criterion(c) for c in report.criteria],
        ("verdict", report.verdict + (" (every criterion within its AT_RISK threshold)" if report.verdict == "PASS"
                                      else ": " + "; ".join(report.reasons))),
    ]
    print_rows(lines, width=16)


def _criterion(c: dict) -> tuple[str, str]:
    """A row of the criteria table: value, the AT_RISK and REGRESSION thresholds (beyond which), status."""
    name, worse = c["name"], (">" if c["worse"] == "higher" else "<")
    if name == "delta_ce":
        key = "ΔCE upper 95%" if c["basis"].startswith("upper") else "ΔCE (no CI)"
        show = (lambda x: "n/a" if x is None else f"{100 * x:+.3f} %")
    elif name in ("mean_kl", "max_abs_logit_diff"):
        key, show = ("KL(ref||cand)" if name == "mean_kl" else "max |Δlogit|"), (lambda x: f"{x:.4g}")
    else:
        key = "top-1 agreement" if name == "top1_agreement" else "top-5 overlap"
        show = (lambda x: f"{100 * x:.2f} %")
    return (f"  {key}", f"{show(c['value']):>12} {worse + ' ' + show(c['at_risk']):>12} "
                        f"{worse + ' ' + show(c['regression']):>12}  {c['status']}")
