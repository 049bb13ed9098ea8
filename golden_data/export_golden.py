#!/usr/bin/env python
"""Export the golden reference data for ``fillmask_np``.

This script is an *independent* reference: it never imports ``fillmask_np``.  It uses
``tokenizers`` + Hugging Face ``transformers`` + ``torch`` to

a. train a WordPiece tokenizer (BERT, DistilBERT, ELECTRA), byte-level BPE tokenizers (RoBERTa;
   ModernBERT with BERT-style special tokens) and SentencePiece-style Unigram tokenizers (ALBERT,
   XLM-RoBERTa, DeBERTa-v3) on ``text/train.txt``, build the ESM-2 residue tokenizer, generate the
   synthetic protein text (``text/protein_*.txt``), and save the tokenizers with their slow-tokenizer
   vocabulary files where such files exist;
b. build seeded tiny ``*ForMaskedLM`` models from configs (BERT, RoBERTa, DistilBERT, ALBERT, ELECTRA
   generator, XLM-RoBERTa, DeBERTa-v2, ModernBERT, ESM-2) and train them briefly with MLM, or, with
   ``--weights-from DIR``, load the weights committed in ``DIR/models/<model>/model.safetensors`` and the
   training records of ``DIR/manifest.json`` instead (what CI does);
c. export them to ONNX with the dynamo exporter and verify ONNX Runtime against torch;
d. write golden masking/logit/loss cases (``cases/<case>.npz``), then re-export BERT and RoBERTa as the
   ONNX *export variants* users commonly produce (int32 inputs, no token_type_ids, fixed shapes, renamed
   and extra outputs, explicit position_ids, float16, ORT-optimized with fused attention) under
   ``variants/<name>/``, each verified against torch and on a golden case; and write mask manifests of
   ``text/eval.txt`` for BERT and RoBERTa (``cases/replay_<model>_masks.npz``, the format ``fillmask-np eval
   --save-masks`` writes) scored by the torch script of docs/fidelity.md ``score_masks_torch.py``, run unchanged
   (``cases/replay_<model>_reference.npz``); and run HF's fill-mask pipeline, multi-token target
   pseudo-log-likelihoods and greedy iterative fills on masked eval lines (manifest section ``fill_mask``);
   and the pseudo-log-likelihood of every model on its eval text, both variants (``cases/pll_<model>.npz``);
e. compute a reference masked cross-entropy for the real splade-tiny model on WikiText-2 lines
   (skipped with a message when the shared folder is absent);
f. write ``manifest.json`` describing everything, with sha256 of every exported file.

The steps live in the ``exporter`` package next to this script, one module per step (see its
``__init__``); this file is only the command line.

Usage::

    python golden_data/export_golden.py [--out DIR] [--weights-from DIR] [--shared PATH] [--no-splade]
                                        [--jobs N] [--models a,b]

``--models`` exports only the named models (and their cases; no variants): a development shortcut,
the committed golden data is always a full export.

Everything is deterministic: torch seeds, deterministic algorithms, a single torch thread per process
and numpy ``Generator`` objects only (never the global numpy random state).  From the committed weights
(``--weights-from golden_data``), a re-run on any x86-64 CPU reproduces the float data within the
manifest's ``regen_*`` tolerances.  Training (the default) is done in float64, then cast to float32; it
reproduces the committed weights byte for byte on the same kind of CPU, but not on another vendor's
(another kernel's rounding: some weights 1 ulp apart, and the ESM-2 and ModernBERT runs drift further).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from exporter.files import write_json
from exporter.run import configure_logging, log, run_export
from exporter.specs import GOLDEN_DIR, REPO_DIR, ExportError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=GOLDEN_DIR, help="output folder (default: this golden_data folder)"
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_DIR.parent / "shared",
        help="shared material (default: <repo>/../shared)",
    )
    parser.add_argument(
        "--weights-from",
        type=Path,
        default=None,
        metavar="DIR",
        help="load the committed weights and training records of this golden_data folder instead of training",
    )
    parser.add_argument("--no-splade", action="store_true", help="skip the splade-tiny WikiText reference")
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="training worker processes, 1 thread each (1 = in-process; same result)",
    )
    parser.add_argument(
        "--models",
        type=lambda text: [name for name in text.split(",") if name],
        default=None,
        help="development only: export just these models, comma-separated (default: all)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    configure_logging()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        manifest = run_export(
            out,
            args.shared.resolve(),
            with_splade=not args.no_splade,
            jobs=args.jobs,
            models=args.models,
            weights_from=args.weights_from.resolve() if args.weights_from else None,
        )
    except ExportError as error:
        print(f"EXPORT FAILED: {error}", file=sys.stderr)
        return 1
    write_json(out / "manifest.json", manifest)
    log.info("wrote %s (%d files)", out / "manifest.json", len(manifest["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
