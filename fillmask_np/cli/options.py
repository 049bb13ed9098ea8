"""What the ``fillmask-np`` commands share, declared once: model options, data options, masking options,
and loading a model with its tokenizer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MASKING_MODES, SPECIAL_TOKEN_POLICIES, MaskingConfig
from ..errors import InputFileError, MaskingError

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import MaskManifest
    from ..runtime import MaskedLM, ModelSource
    from ..tokenization import Tokenizer

__all__ = ["model_args", "data_args", "data_label", "data_source", "masking_args", "progress_arg", "masking_options",
           "long_args", "long_options", "pll_args",
           "load", "load_model", "shard_args", "distinct_outputs", "refuse_empty_paths"]

# every option naming a file or folder, read or written; given as '' it would write nothing or read a default
_PATH_OPTIONS = ("model", "tokenizer", "data", "masks", "reference", "calibration", "save_masks", "tokens", "html",
                 "partial", "history", "output", "partials", "fasta", "mutations")


def model_args(p: argparse.ArgumentParser) -> None:
    """The options every command that loads a model takes."""
    p.add_argument("--model", help="model.onnx, an export directory (model.onnx + tokenizer.json), a checkpoint "
                                   "directory, or a Hugging Face Hub id ORG/NAME[@REVISION] (from the cache, fetched "
                                   "when missing); default: the bundled tiny BERT")
    p.add_argument("--tokenizer", help="tokenizer.json, vocab.txt, or a directory (default: beside the model)")
    p.add_argument("--threads", type=int, help="ONNX Runtime intra-op threads")
    p.add_argument("--spinning", action=argparse.BooleanOptionalAction, default=None,
                   help="let idle ONNX Runtime threads spin-wait (default: ONNX Runtime's choice); "
                        "--no-spinning frees the cores between runs on a shared machine")
    p.add_argument("--logits-output", help="name of the logits output when the graph has several float outputs")
    p.add_argument("--position-ids", choices=("auto", "arange", "padding_offset"), default="auto",
                   help="how to fill a position_ids input: auto (from config.json's model_type, default), "
                        "arange (0..L-1, BERT) or padding_offset (RoBERTa: after the padding index)")
    p.add_argument("--backend", choices=("auto", "onnx", "numpy"), default="auto",
                   help="auto (default): ONNX Runtime for an .onnx export, NumPy for a Hugging Face checkpoint "
                        "(config.json + model.safetensors); onnx or numpy to pick one")
    p.add_argument("--precision", choices=("float32", "float64"),
                   help="the NumPy backend's arithmetic: float32 (default; batch-invariant) or float64 (every "
                        "operation in float64: the exact reference); refused for an ONNX model")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of a table")


def data_args(p: argparse.ArgumentParser) -> None:
    """The corpus options: the data file and its JSONL field."""
    p.add_argument("--data", help="text file (one sample per line), JSONL, CSV/TSV (with a header) or Parquet; - for "
                                  "standard input; default: the bundled text")
    p.add_argument("--text-field", help="JSONL field or CSV/TSV/Parquet column holding the text (default: text)")


def data_source(args: argparse.Namespace) -> Any:
    """``--data``: a path, ``-`` for standard input (read whole), or the bundled text when not given."""
    from ..text import stdin_texts
    from ..text import default_text_path

    if args.data == "-":
        return stdin_texts(text_field=args.text_field)
    return args.data or default_text_path()


def data_label(args: argparse.Namespace, data: Any) -> str:
    """How reports name the data: its path, or ``<stdin>``."""
    return "<stdin>" if args.data == "-" else str(data)


def shard_args(p: argparse.ArgumentParser) -> None:
    """The scale-out options: score one shard of the corpus, write the run's partial file for ``merge``."""
    p.add_argument("--shard", metavar="I/N", help="score only the samples k with k %% N == I (0 <= I < N; masks and "
                                                  "figures are those of the whole run's samples); see --partial")
    p.add_argument("--partial", metavar="PATH", help="also write the run's mergeable totals to PATH.json or PATH.npz; "
                                                     "`fillmask-np merge` combines the N shards' partials into the "
                                                     "whole corpus's report, bit for bit")


def distinct_outputs(*outputs: tuple[str, str | None]) -> None:
    """Refuse two output options that name the same file (before any work)."""
    given = [(flag, path) for flag, path in outputs if path]
    for k, (flag, path) in enumerate(given):
        for other, second in given[k + 1 :]:
            if Path(path).resolve() == Path(second).resolve():
                raise InputFileError(f"{flag} and {other} both name {path!r}; pass two paths")


def refuse_empty_paths(args: argparse.Namespace) -> None:
    """Refuse a path option given as an empty string (``--html ''``), which would write nothing or read a default.

    Args:
        args: the parsed command line.
    """
    for key in _PATH_OPTIONS:
        values = getattr(args, key, None)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and not value.strip():
                positional = key == "partials" or (key == "model" and args.command == "optimize")
                flag = key.upper() if positional else "-o" if key == "output" else "--" + key.replace("_", "-")
                raise InputFileError(f"{flag} {value!r} is an empty path; pass a file path")


def progress_arg(p: argparse.ArgumentParser) -> None:
    """The progress-bar switch."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")


def masking_args(p: argparse.ArgumentParser) -> None:
    """The masking options (``MaskingConfig``'s fields), each defaulting to None: unset takes the default,
    or the replayed masks file's value (see ``masking_options``)."""
    p.add_argument("--seed", type=int, help="masking seed (default 0)")
    p.add_argument("--masking", choices=MASKING_MODES,
                   help="per_sample: sample i masked by default_rng([seed, i]) (default); "
                        "hf: replay HF's collator batch by batch")
    p.add_argument("--mlm-probability", type=float, help="share of tokens selected (default 0.15)")
    p.add_argument("--mask-replace-prob", type=float,
                   help="share of selected tokens replaced by the mask token (default 0.8; 1.0 with --whole-word)")
    p.add_argument("--random-replace-prob", type=float,
                   help="share of selected tokens replaced by a random token (default 0.1; 0 with --whole-word); "
                        "the rest is kept")
    p.add_argument("--whole-word", action="store_true", default=None,
                   help="mask whole words, as HF's collator with whole_word_mask=True")
    p.add_argument("--special-tokens", choices=SPECIAL_TOKEN_POLICIES,
                   help="never mask: template = the tokens the tokenizer added, as run_mlm.py (default); "
                        "all_special_ids = every special id wherever it occurs, as HF's collator without a mask")
    p.add_argument("--batch-size", type=int, help="samples per batch (default 16)")
    p.add_argument("--max-length", type=int, help="truncate samples to this many tokens (default: the smallest "
                                                  "limit of the model(s) and the tokenizer)")
    p.add_argument("--limit", type=int, help="use only the first N non-empty samples")


def pll_args(p: argparse.ArgumentParser, *, unit: str) -> None:
    """The pseudo-log-likelihood options (pppl, pairs): variant, tokens never scored, length, batch budget, limit
    and ``--long`` / ``--stride``; ``unit``: what ``--limit`` counts ("non-empty samples", "pairs")."""
    p.add_argument("--variant", choices=("original", "within_word_l2r"), default="original",
                   help="original: each token masked alone (default); within_word_l2r: also the later "
                        "pieces of its word (Kauf & Ivanova 2023, as minicons)")
    p.add_argument("--special-tokens", choices=("template", "all_special_ids"), default="template",
                   help="never scored: template = the tokens the tokenizer added (default); "
                        "all_special_ids = every special id wherever it occurs")
    p.add_argument("--max-length", type=int, help="truncate samples to this many tokens (default: the model's "
                                                  "position limit or fixed length, or the tokenizer's)")
    p.add_argument("--batch-tokens", type=int, default=8192,
                   help="rows x padded length of one batch of masked copies (default 8192)")
    p.add_argument("--limit", type=int, help=f"score only the first N {unit}")
    long_args(p)


def long_args(p: argparse.ArgumentParser, *, default: str = "truncate") -> None:
    """``--long truncate|window`` and ``--stride S``: how a sample longer than the model is scored."""
    p.add_argument("--long", default=default, metavar="{truncate,window}",
                   help=f"a sample longer than --max-length: truncate (its first tokens only) or window (every token, "
                        f"scored once in overlapping windows of the model's length; default {default})")
    p.add_argument("--stride", type=int, help="with --long window: tokens between window starts, 1 to the window's "
                                              "text tokens (default: half of them)")


def long_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--long`` and ``--stride`` as keyword arguments, checked (naming the flags) before any work."""
    from ..masking import check_long

    return {"long": args.long, "stride": check_long(args.long, args.stride, flags=True)}


def masking_options(args: argparse.Namespace, manifest: MaskManifest | None) -> dict[str, Any]:
    """The masking options as keyword arguments: given, else the masks file's (refusing a given one that differs),
    else ``MaskingConfig``'s default."""
    defaults = MaskingConfig()
    options = {}
    for key in MaskingConfig.field_names():
        given = getattr(args, key)
        if manifest is not None:
            recorded = manifest.settings[key]
            if given is not None and given != recorded:
                flag = "--" + key.replace("_", "-")
                raise MaskingError(f"{flag} {given!r} conflicts with masks file {args.masks!r} ({key}={recorded!r}): "
                                   f"a replay uses the file's settings; drop {flag}")
            options[key] = recorded
        elif key in ("mask_replace_prob", "random_replace_prob"):  # unset: HF's default for the masking chosen
            options[key] = given
        else:
            options[key] = getattr(defaults, key) if given is None else given
    return options


def load_model(path: str | Path | ModelSource, args: argparse.Namespace) -> MaskedLM:
    """The model at ``path`` (or a Hub id, ``runtime.resolve_model``) with the command's backend and runtime
    options (``runtime.open_model``)."""
    from ..runtime import open_model

    return open_model(path, backend=args.backend, precision=args.precision, threads=args.threads,
                      logits_output=args.logits_output,
                      position_ids=args.position_ids, allow_spinning=args.spinning)


def model_label(model: MaskedLM, name: str | None = None) -> str:
    """How a table names a model: ``name`` (default: the model's), with "(NumPy, float64)" for the float64
    reference, so a table says when the exact arithmetic ran."""
    label = model.name if name is None else name
    return f"{label} (NumPy, float64)" if model.describe().get("precision") == "float64" else label


def load(args: argparse.Namespace, *, model_option: str = "model") -> tuple[MaskedLM, Tokenizer]:
    """The model named by ``args.<model_option>`` (default: the bundled tiny BERT) and its tokenizer."""
    from ..runtime import resolve_model
    from ..tokenization import Tokenizer
    from ..text import default_model_dir

    source = resolve_model(getattr(args, model_option) or default_model_dir(), backend=args.backend)
    model_path = source.path
    if not model_path.exists():
        raise InputFileError(f"model {str(model_path)!r} does not exist; pass --model model.onnx, an export "
                             f"directory, a checkpoint directory (config.json + model.safetensors) or a Hugging "
                             f"Face Hub id ORG/NAME[@REVISION]")
    model = load_model(source, args)  # first: what is wrong with the model is said before the tokenizer
    if args.tokenizer:
        tok_path = Path(args.tokenizer)
        if tok_path.is_dir():
            tokenizer = Tokenizer.from_dir(tok_path)
        elif tok_path.name == "vocab.txt":
            tokenizer = Tokenizer.from_wordpiece(tok_path)
        else:
            tokenizer = Tokenizer.from_file(tok_path)
    else:
        directory = source.tokenizer_dir
        if not any((directory / name).exists() for name in ("tokenizer.json", "vocab.txt", "vocab.json")):
            raise InputFileError(f"no tokenizer beside {str(model_path)!r}; pass --tokenizer tokenizer.json")
        tokenizer = Tokenizer.from_dir(directory)  # a damaged tokenizer file is named with what is wrong with it
    return model, tokenizer
