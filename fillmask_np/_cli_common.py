"""What the ``fillmask-np`` commands share: the model options and loading a model with its tokenizer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_model import OnnxMaskedLM
    from .tokenizer import Tokenizer


def model_args(p: argparse.ArgumentParser) -> None:
    """The options every command that loads a model takes."""
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


def load(args: argparse.Namespace, *, model_option: str = "model") -> tuple[OnnxMaskedLM, Tokenizer]:
    """The model named by ``args.<model_option>`` (default: the bundled tiny BERT) and its tokenizer."""
    from ._resources import default_model_dir
    from .onnx_model import OnnxMaskedLM
    from .tokenizer import Tokenizer

    model_path = Path(getattr(args, model_option)) if getattr(args, model_option) else default_model_dir()
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
