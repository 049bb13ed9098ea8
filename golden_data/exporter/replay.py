"""d. Mask manifests replayed in PyTorch: the torch script of docs/fidelity.md run on a manifest of eval.txt.

For bert and roberta this writes ``cases/replay_<model>_masks.npz``, the mask manifest
(``fillmask_np.masks/1``) that ``fillmask_np.evaluate(model, tok, "text/eval.txt", seed=0)`` writes with
``save_masks=`` -- built here independently with HF (``reference.mask_sample``: sample i alone, masked
by ``default_rng([0, i])`` through the collator) -- then runs ``golden_data/score_masks_torch.py``, the
file the README shows, unchanged, on the torch model saved with ``save_pretrained``.  Its output
(``np.savez``, which stamps the zip members with the current time) is re-written with fixed timestamps
as ``cases/replay_<model>_reference.npz``; the arrays are the snippet's, unchanged.  The snippet's
cross-entropy must equal the exporter's own per-sample reference (``eval_txt_reference``, the same
masks scored one unpadded sample at a time) within ``loss_rtol_torch_logits``, else the export fails.
"""

from __future__ import annotations

import copy
import json
import runpy
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .files import save_npz, sha256_file
from .reference import mask_sample
from .specs import (
    GOLDEN_DIR,
    IGNORE_INDEX,
    MAX_SEQUENCE_LENGTH,
    REFERENCE_MLM,
    REFERENCE_SEED,
    TEXT_FILES,
    TOLERANCES,
    ExportError,
)

REPLAY_MODELS = ("bert", "roberta")
SNIPPET = GOLDEN_DIR / "score_masks_torch.py"
SNIPPET_NAME = "golden_data/score_masks_torch.py"  # relative to the repository
MASKS_FORMAT = "fillmask_np.masks/1"
MASKS_KEYS = ("attention_mask", "header", "input_ids", "labels", "sample_index")
REFERENCE_KEYS = ("cross_entropy", "labels", "logits", "masks_sha256", "torch_version")
EVAL_BATCH_SIZE = 16  # fillmask_np.evaluate's default batch_size, recorded in the header


def manifest_arrays(
    tok: PreTrainedTokenizerFast, samples: Sequence[str], max_length: int
) -> dict[str, np.ndarray]:
    """The manifest arrays of per-sample masking: the scored samples, right-padded to the longest row."""
    rows = []
    for index, text in enumerate(samples):
        _, masked, labels, _ = mask_sample(tok, text, index, max_length)  # [1, L_i] each
        if (labels != IGNORE_INDEX).any():
            rows.append((index, masked[0], labels[0]))
    if not rows:
        raise ExportError("replay: the seed masked nothing in the eval text")
    length = max(len(row_ids) for _, row_ids, _ in rows)
    input_ids = np.full((len(rows), length), tok.pad_token_id, dtype=np.int64)  # [N, L]
    attention_mask = np.zeros((len(rows), length), dtype=np.int64)  # [N, L]
    labels = np.full((len(rows), length), IGNORE_INDEX, dtype=np.int64)  # [N, L]
    for row, (_, row_ids, row_labels) in enumerate(rows):
        input_ids[row, : len(row_ids)] = row_ids
        attention_mask[row, : len(row_ids)] = 1
        labels[row, : len(row_labels)] = row_labels
    sample_index = np.asarray([index for index, _, _ in rows], dtype=np.int64)  # [N]
    return {"sample_index": sample_index, "input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def masks_header(
    tok: PreTrainedTokenizerFast, tokenizer_file: Path, data_file: Path, n_samples: int, n_rows: int
) -> dict[str, Any]:
    """The manifest header ``evaluate(..., seed=0, save_masks=...)`` writes for these settings."""
    return {
        "format": MASKS_FORMAT,
        "tokenizer_sha256": sha256_file(tokenizer_file),
        "data_sha256": sha256_file(data_file),
        "seed": REFERENCE_SEED,
        "masking": "per_sample",
        **REFERENCE_MLM,
        "whole_word": False,
        "special_tokens": "template",
        "max_length": MAX_SEQUENCE_LENGTH,
        "batch_size": EVAL_BATCH_SIZE,
        "limit": None,
        "mask_token_id": tok.mask_token_id,
        "pad_token_id": tok.pad_token_id,
        "vocab_size": len(tok),
        "n_samples": n_samples,
        "n_rows": n_rows,
    }


def run_snippet(model: PreTrainedModel, masks_path: Path, reference_path: Path) -> None:
    """Save ``model`` with ``save_pretrained`` and run the README snippet file on it, in this process.

    In-process (``runpy``) keeps the exporter's torch settings (one thread, deterministic algorithms),
    so the logits are reproducible; the global torch RNG state is restored afterwards.  A copy is saved:
    ``save_pretrained`` writes ``architectures`` and ``dtype`` into the model's config, and the later
    steps (pll, fill-mask pipeline, variants) use this model as it was.
    """
    with tempfile.TemporaryDirectory(prefix="replay_model_") as model_dir, torch.random.fork_rng():
        copy.deepcopy(model).save_pretrained(model_dir)
        argv = sys.argv
        sys.argv = [str(SNIPPET), model_dir, str(masks_path), str(reference_path)]
        try:
            runpy.run_path(str(SNIPPET), run_name="__main__")
        finally:
            sys.argv = argv


def check_reference(
    name: str, reference: dict[str, np.ndarray], masks: dict[str, np.ndarray], masks_path: Path, vocab: int
) -> None:
    """The snippet's output has the reference format and belongs to this manifest."""
    if tuple(sorted(reference)) != REFERENCE_KEYS:
        raise ExportError(f"replay {name}: the snippet wrote {sorted(reference)}, expected {list(REFERENCE_KEYS)}")
    labels = masks["labels"][masks["labels"] != IGNORE_INDEX]  # [M], row-major
    logits = reference["logits"]
    if logits.dtype != np.float32 or logits.shape != (len(labels), vocab):
        raise ExportError(f"replay {name}: logits {logits.dtype}{logits.shape}, expected float32 ({len(labels)}, "
                          f"{vocab})")
    if reference["labels"].dtype != np.int64 or not np.array_equal(reference["labels"], labels):
        raise ExportError(f"replay {name}: the snippet's labels are not the manifest's scored labels")
    if reference["cross_entropy"].dtype != np.float64 or reference["cross_entropy"].shape != ():
        raise ExportError(f"replay {name}: cross_entropy is {reference['cross_entropy'].dtype}"
                          f"{reference['cross_entropy'].shape}, expected a float64 scalar")
    if str(reference["masks_sha256"]) != sha256_file(masks_path):
        raise ExportError(f"replay {name}: masks_sha256 does not match {masks_path.name}")


def replay_model(out: Path, name: str, item: Any, eval_lines: Sequence[str]) -> dict[str, Any]:
    """Write one model's manifest, run the snippet on it and return its manifest entry.

    ``item`` is exported.ExportedModel (``.model``, ``.tok``, ``.entry``).
    """
    samples = [line for line in eval_lines if line.strip()]
    arrays = manifest_arrays(item.tok, samples, MAX_SEQUENCE_LENGTH)
    header = masks_header(item.tok, out / "models" / name / "tokenizer.json", out / TEXT_FILES[1], len(samples),
                          len(arrays["input_ids"]))
    masks = {**arrays, "header": np.asarray(json.dumps(header, sort_keys=True))}  # header: 0-d unicode
    masks_file, reference_file = f"cases/replay_{name}_masks.npz", f"cases/replay_{name}_reference.npz"
    save_npz(out / masks_file, masks)
    with tempfile.TemporaryDirectory(prefix="replay_reference_") as scratch:
        snippet_output = Path(scratch) / "reference.npz"
        run_snippet(item.model, out / masks_file, snippet_output)
        with np.load(snippet_output, allow_pickle=False) as npz:
            reference = {key: npz[key] for key in npz.files}
    check_reference(name, reference, masks, out / masks_file, int(item.model.config.vocab_size))
    save_npz(out / reference_file, reference)
    torch_ce = float(reference["cross_entropy"])
    expected = item.entry["eval_txt_reference"]
    relative = abs(torch_ce - expected["cross_entropy"]) / expected["cross_entropy"]
    n_masked = len(reference["labels"])
    if n_masked != expected["n_masked"] or relative > TOLERANCES["loss_rtol_torch_logits"]:
        raise ExportError(f"replay {name}: the snippet's cross-entropy {torch_ce!r} on {n_masked} tokens differs "
                          f"from eval_txt_reference {expected['cross_entropy']!r} on {expected['n_masked']} "
                          f"(relative {relative:.3g} > {TOLERANCES['loss_rtol_torch_logits']})")
    return {
        "masks": masks_file,
        "reference": reference_file,
        "header": header,
        "n_rows": len(arrays["input_ids"]),
        "n_masked": n_masked,
        "torch_cross_entropy": torch_ce,
        "eval_txt_reference_cross_entropy": expected["cross_entropy"],
        "cross_entropy_rel_diff": relative,
        "snippet": SNIPPET_NAME,
        "snippet_sha256": sha256_file(SNIPPET),
        "command": f"python {SNIPPET_NAME} <save_pretrained dir> {masks_file} reference.npz",
        "reference_file": "the snippet's np.savez output (zip members stamped with the current time) re-written "
        "with fixed timestamps by exporter.files.save_npz; arrays unchanged. torch_cross_entropy is its "
        "cross_entropy (the manifest's rows in batches of 16, padded); eval_txt_reference_cross_entropy is the "
        "same masks scored one unpadded sample at a time (models.<model>.eval_txt_reference)",
    }


def replay_section(out: Path, exported: Mapping[str, Any], eval_lines: Sequence[str]) -> dict[str, Any]:
    """The manifest's ``replay`` section: one entry per exported model of ``REPLAY_MODELS``."""
    return {
        name: replay_model(out, name, exported[name], eval_lines) for name in REPLAY_MODELS if name in exported
    }
