"""f. Orchestration: run steps a-e into an output folder and assemble ``manifest.json``."""

from __future__ import annotations

import json
import logging
import platform
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import onnxscript
import tokenizers
import torch
import transformers
from tokenizers import Tokenizer

from .cases import make_case
from .committed import committed_weights
from .exported import EVAL_FILES, Timer, export_model
from .families import FAMILY_CASE_SPECS, select
from .float64_reference import float64_section
from .files import read_lines, sha256_file
from .manifest_parts import text_section, tokenizers_section
from .minimal_pairs import PAIRS_TEXT_FILE, pairs_reference
from .models import configure_torch
from .generation import generation_reference
from .long_inputs import long_reference
from .pipeline import fill_mask_reference
from .pll import pll_reference
from .protein import PROTEIN_TEXT_FILES, with_protein_texts, write_protein_texts
from .protein_variants import protein_variants_reference
from .reference import splade_reference
from .replay import replay_section
from .slow_tokenizers import check_slow_tokenizers
from .specs import (
    CASE_SPECS,
    GOLDEN_DIR,
    MASKING_CASE_SPECS,
    TEXT_FILES,
    TOLERANCES,
    ModelSpec,
)
from .tokenization import load_fast_tokenizer, save_tokenizer_files, train_tokenizer_deterministically
from .training import train_all
from .variants import export_variants

log = logging.getLogger("export_golden")


def configure_logging() -> None:
    """Log the step timings at INFO level; silence library warnings and progress bars."""
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)


def prepare_text(out: Path) -> tuple[Path, Path]:
    """Copy the hand-written texts into ``out`` (unless exporting in place); return their paths."""
    for relative in TEXT_FILES:
        source, target = GOLDEN_DIR / relative, out / relative
        if source.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return out / TEXT_FILES[0], out / TEXT_FILES[1]


def write_tokenizer(
    spec: ModelSpec, trained_tokenizers: dict[str, Tokenizer], model_dir: Path, eval_lines: Sequence[str]
) -> dict[str, Any]:
    """Save one model's tokenizer files and check them against the slow tokenizers."""
    model_dir.mkdir(parents=True, exist_ok=True)
    save_tokenizer_files(trained_tokenizers[spec.tokenizer.source], spec.tokenizer, model_dir)
    tok = load_fast_tokenizer(model_dir, spec.tokenizer)
    return check_slow_tokenizers(model_dir, spec.tokenizer, tok, list(eval_lines) + [""])


def versions() -> dict[str, str]:
    """Versions of everything that influences the output."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "onnx": onnx.__version__,
        "onnxscript": onnxscript.__version__,
        "onnxruntime": ort.__version__,
    }


def file_hashes(out: Path) -> dict[str, str]:
    """sha256 of every exported file (relative POSIX paths), except manifest.json."""
    paths = [out / relative for relative in TEXT_FILES + PROTEIN_TEXT_FILES + (PAIRS_TEXT_FILE,)]
    paths += sorted((out / "models").rglob("*")) + sorted((out / "cases").glob("*.npz"))
    paths += sorted((out / "variants").rglob("*"))
    return {path.relative_to(out).as_posix(): sha256_file(path) for path in paths if path.is_file()}


def run_export(
    out: Path,
    shared: Path,
    with_splade: bool,
    jobs: int,
    models: Sequence[str] | None = None,
    weights_from: Path | None = None,
) -> dict[str, Any]:
    """Run every export step into ``out`` and return the manifest (``models``: a subset, for development).

    ``weights_from``: a golden_data folder whose committed weights and training records replace training.
    """
    configure_torch()
    timer = Timer()
    specs = select(models)
    paths = {"english": prepare_text(out), "protein": write_protein_texts(out)}
    train_lines = {corpus: [line for line in read_lines(train) if line.strip()] for corpus, (train, _) in paths.items()}
    eval_lines = {corpus: read_lines(evaluation) for corpus, (_, evaluation) in paths.items()}
    sources = dict.fromkeys(spec.tokenizer.source for spec in specs)
    tokenizers_ = {source: train_tokenizer_deterministically(source, paths["english"][0]) for source in sources}
    model_dirs = {spec.name: out / "models" / spec.name for spec in specs}
    slow_checks = {
        spec.name: write_tokenizer(spec, tokenizers_, model_dirs[spec.name], eval_lines[spec.corpus])
        for spec in specs
    }
    train_paths = {corpus: train for corpus, (train, _) in paths.items()}
    if weights_from is None:
        trained = timer.measure(
            f"train all models (jobs={jobs})", lambda: train_all(model_dirs, train_paths, jobs)
        )
    else:
        trained = timer.measure(
            f"load the weights of {weights_from}", lambda: committed_weights(weights_from, list(model_dirs))
        )
    exported = {
        spec.name: export_model(
            spec,
            model_dirs[spec.name],
            trained[spec.name],
            slow_checks[spec.name],
            train_lines[spec.corpus],
            eval_lines[spec.corpus],
            timer,
        )
        for spec in specs
    }

    (out / "cases").mkdir(parents=True, exist_ok=True)
    cases = {}
    for case in CASE_SPECS + MASKING_CASE_SPECS + FAMILY_CASE_SPECS:
        if case.model not in exported:
            continue
        item = exported[case.model]
        corpus_lines = eval_lines[item.spec.corpus]
        if item.spec.corpus == "protein":
            case = with_protein_texts(case, corpus_lines)
        path = out / "cases" / f"{case.name}.npz"
        cases[case.name] = {
            "file": f"cases/{case.name}.npz",
            **make_case(case, item.spec, item.model, item.tok, item.session, corpus_lines, path),
        }

    float64 = timer.measure("float64 reference", lambda: float64_section(exported, out))
    replay = timer.measure("replay masks in torch", lambda: replay_section(out, exported, eval_lines["english"]))
    pll = timer.measure("pll reference", lambda: pll_reference(exported, eval_lines, EVAL_FILES, out))
    pairs = timer.measure("minimal pairs reference", lambda: pairs_reference(exported, out))
    protein_variants = timer.measure("protein variants reference",
                                     lambda: protein_variants_reference(exported, eval_lines, out))
    fill_mask = timer.measure("fill-mask pipeline", lambda: {
        name: fill_mask_reference(item.spec, item.model, item.tok, eval_lines[item.spec.corpus])
        for name, item in exported.items()})
    generate = timer.measure("generate reference", lambda: generation_reference(exported, eval_lines, out))
    long_inputs = timer.measure("long inputs reference", lambda: long_reference(exported, eval_lines, out))

    if models is None:
        variants = timer.measure(
            "export variants", lambda: export_variants(out, exported, eval_lines["english"])
        )
    else:
        variants = {"skipped": "--models given"}

    if with_splade:
        splade, splade_small = timer.measure("splade reference", lambda: splade_reference(shared))
    else:
        splade = splade_small = {"skipped": "--no-splade given"}

    manifest = {
        "generator": "golden_data/export_golden.py",
        "how_to_regenerate": "pip install .[golden] && python golden_data/export_golden.py",
        "versions": versions(),
        "tolerances": dict(TOLERANCES),
        "text": text_section(out),
        "tokenizers": tokenizers_section(tokenizers_, specs),
        "models": {name: item.entry for name, item in exported.items()},
        "cases": cases,
        "replay": replay,
        "float64": float64,
        "pll": pll,
        "pairs": pairs,
        "fill_mask": fill_mask,
        "generate": generate,
        "long_inputs": long_inputs,
        "variants": variants,
        "protein_variants": protein_variants,
        "case_counts_definition": "n_masked: labels != -100; n_mask_token: masked == mask id; n_random_replaced: "
        "masked differs from both the original and the mask id; n_kept: masked == original",
        "splade_wikitext": splade,
        "splade_wikitext_200": splade_small,
        "files": file_hashes(out),
    }
    log.info("timings (s): %s", json.dumps({**timer.steps, "total": timer.total()}))
    return manifest
