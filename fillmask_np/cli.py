"""The ``fillmask-np`` command: ``eval`` a model on a corpus, ``predict`` masked words, ``optimize`` a model.

Bad input prints one ``fillmask-np: error: ...`` line on stderr and exits 2 (no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .errors import FillMaskError, InputFileError

__all__ = ["main"]

_PROG = "fillmask-np"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_PROG, description="Evaluate ONNX fill-mask models without torch.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{eval,predict,optimize}")

    def model_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", help="model.onnx, or an export directory (model.onnx + tokenizer.json); "
                                       "default: the bundled tiny BERT")
        p.add_argument("--tokenizer", help="tokenizer.json, vocab.txt, or a directory (default: beside the model)")
        p.add_argument("--threads", type=int, help="ONNX Runtime intra-op threads")
        p.add_argument("--spinning", action=argparse.BooleanOptionalAction, default=None,
                       help="let idle ONNX Runtime threads spin-wait (default: ONNX Runtime's choice); "
                            "--no-spinning frees the cores between runs on a shared machine")
        p.add_argument("--logits-output", help="name of the logits output when the graph has several float outputs")
        p.add_argument("--position-ids", choices=("auto", "arange", "padding_offset"), default="auto",
                       help="how to fill a position_ids input: auto (from config.json's model_type, default), "
                            "arange (0..L-1, BERT) or padding_offset (RoBERTa: after the padding index)")
        p.add_argument("--json", action="store_true", help="print a JSON report instead of a table")

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

    pr = sub.add_parser("predict", help="top-k fillers for each mask token of a text")
    model_args(pr)
    pr.add_argument("text", help='text with mask tokens, e.g. "The cat [MASK] on the mat."')
    pr.add_argument("--top-k", type=int, default=5, help="candidates per mask (default 5)")

    op = sub.add_parser(
        "optimize", help="write a faster copy of a model, checked against the original",
        description="Rewrite the model so that its LM head (and the position-wise ops before it) runs on the "
                    "masked positions only, optionally quantize it to int8, check it against the original on "
                    "seeded random batches (float32: max abs logit difference at most 1e-4, else nothing is "
                    "written) and write it with config.json and the tokenizer files beside it. Needs the onnx "
                    "package: pip install 'fillmask_np[optimize]'.")
    op.add_argument("model", help="model.onnx, or an export directory")
    op.add_argument("-o", "--output", required=True,
                    help="output .onnx file, or a directory (written as DIR/model.onnx)")
    op.add_argument("--int8", action="store_true",
                    help="dynamic int8 quantization of the MatMul weights (lossy: the check reports the logit "
                         "difference, top-1 agreement and cross-entropy change)")
    op.add_argument("--fuse", action=argparse.BooleanOptionalAction, default=None,
                    help="apply onnxruntime.transformers' BERT fusions (default: off, as measured: ONNX Runtime "
                         "fuses the same ops when it loads the model)")
    op.add_argument("--seed", type=int, default=0, help="seed of the check's random batches (default 0)")
    op.add_argument("--logits-output", help="name of the logits output when the graph has several float outputs")
    op.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    return parser


def _load(args: argparse.Namespace):  # -> tuple[OnnxMaskedLM, Tokenizer]
    from ._resources import default_model_dir
    from .onnx_model import OnnxMaskedLM
    from .tokenizer import Tokenizer

    model_path = Path(args.model) if args.model else default_model_dir()
    if not model_path.exists():
        raise InputFileError(
            f"model {str(model_path)!r} does not exist; pass --model model.onnx or an export directory")
    if args.tokenizer:
        tok_path = Path(args.tokenizer)
        if tok_path.is_dir():
            tokenizer = Tokenizer.from_dir(tok_path)
        elif tok_path.name == "vocab.txt":
            tokenizer = Tokenizer.from_wordpiece(tok_path)
        else:
            tokenizer = Tokenizer.from_file(tok_path)
    else:
        directory = model_path if model_path.is_dir() else model_path.parent
        try:
            tokenizer = Tokenizer.from_dir(directory)
        except InputFileError as exc:
            raise InputFileError(f"no tokenizer beside {str(model_path)!r}; pass --tokenizer tokenizer.json") from exc
    model = OnnxMaskedLM(model_path, threads=args.threads, logits_output=args.logits_output,
                         position_ids=args.position_ids, allow_spinning=args.spinning)
    return model, tokenizer


def _eval(args: argparse.Namespace) -> int:
    from ._resources import default_text_path
    from .evaluate import evaluate

    model, tokenizer = _load(args)
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


def _predict(args: argparse.Namespace) -> int:
    from .predict import fill_mask

    model, tokenizer = _load(args)
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


def _optimize(args: argparse.Namespace) -> int:
    from .optimize import optimize_model

    report = optimize_model(args.model, args.output, int8=args.int8, fuse="auto" if args.fuse is None else args.fuse,
                            seed=args.seed, logits_output=args.logits_output)
    print(json.dumps(report.to_dict(), indent=1) if args.json else "\n".join(report.summary()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input).

    >>> main(["eval", "--json"])  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    try:
        return {"eval": _eval, "predict": _predict, "optimize": _optimize}[args.command](args)
    except FillMaskError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
