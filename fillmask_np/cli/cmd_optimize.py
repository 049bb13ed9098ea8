"""``fillmask-np optimize``: write a faster copy of a model, checked against the original."""

from __future__ import annotations

import argparse

from .options import progress_arg
from .printing import print_json


def add(sub: argparse._SubParsersAction) -> None:
    """Add the command's parser."""
    op = sub.add_parser(
        "optimize", help="write a faster copy of a model, checked against the original",
        description="Rewrite the model so that its LM head (and the position-wise ops before it) runs on the "
                    "masked positions only, optionally quantize it to int8, check it against the original on "
                    "seeded random batches (float32: max abs logit difference at most 1e-4, else nothing is "
                    "written) and write it with config.json and the tokenizer files beside it. Needs the onnx "
                    "package: pip install 'fillmask_np[optimize]'.")
    op.add_argument("model", help="model.onnx, an export directory, or a Hub id ORG/NAME[@REVISION] (its ONNX export)")
    op.add_argument("-o", "--output", required=True,
                    help="output .onnx file, or a directory (written as DIR/model.onnx)")
    op.add_argument("--int8", action="store_true",
                    help="int8 MatMuls, static by default (see --quantization; lossy: the check reports the logit "
                         "difference, top-1 agreement and cross-entropy change)")
    op.add_argument("--quantization", choices=("static", "dynamic"), default=None,
                    help="int8 kind (implies --int8): static (default) fixes the activation scales by calibration, "
                         "so a sample's results do not depend on its batch; dynamic computes them per batch, "
                         "padding included, so results move with batch size and composition")
    op.add_argument("--calibration", metavar="FILE",
                    help="static int8: text file, one sample per line, to calibrate the activation scales on "
                         "(encoded with the model's tokenizer, MLM-masked with --seed; default: the bundled text)")
    op.add_argument("--calibration-samples", type=int, default=None, metavar="N",
                    help="static int8: lines drawn from the calibration text (default 128)")
    op.add_argument("--fuse", action=argparse.BooleanOptionalAction, default=None,
                    help="apply onnxruntime.transformers' BERT fusions (default: off, as measured: ONNX Runtime "
                         "fuses the same ops when it loads the model)")
    op.add_argument("--seed", type=int, default=0,
                    help="seed of the check's random batches and of the calibration sample and masks (default 0)")
    op.add_argument("--logits-output", help="name of the logits output when the graph has several float outputs")
    op.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    progress_arg(op)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..errors import FillMaskError
    from ..optimize import CALIBRATION_SAMPLES, optimize_model
    from ..runtime import resolve_model

    int8 = args.quantization or args.int8
    if not int8 and (args.calibration is not None or args.calibration_samples is not None):
        raise FillMaskError("--calibration and --calibration-samples apply to static int8: add --int8")
    source = resolve_model(args.model, backend="onnx").path  # a path as given; a Hub id: its cached ONNX export
    report = optimize_model(source, args.output, int8=int8, fuse="auto" if args.fuse is None else args.fuse,
                            seed=args.seed, logits_output=args.logits_output, calibration=args.calibration,
                            calibration_samples=CALIBRATION_SAMPLES if args.calibration_samples is None
                            else args.calibration_samples, progress=args.progress)
    if args.json:
        print_json(report.to_dict())
    else:
        print("\n".join(report.summary()))
    return 0
