"""Build the benchmark's torch models, export them to ONNX (dynamo, dynamic batch/sequence) and save them as Hugging
Face checkpoints (config.json + model.safetensors, for the NumPy backend), and check both against torch.

Imports torch and transformers: only ``run.py``'s parent process and its PyTorch RSS children load this module,
so that the fillmask_np RSS children measure fillmask_np alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertForMaskedLM

import fillmask_np as fm
from _measure import REPORT
from _workload import REAL_DIR

# the synthetic shapes: random seeded weights (speed needs no trained weights), BERT's uncased vocabulary
SHAPES = {
    "bert-mini": dict(num_hidden_layers=4, hidden_size=256, num_attention_heads=4, intermediate_size=1024),
    "bert-base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072),
}
VOCAB = 30522
SPLADE = "splade-tiny"


def bert_config(name: str) -> BertConfig:
    if name == SPLADE:
        return BertConfig.from_pretrained(REAL_DIR / SPLADE)
    return BertConfig(vocab_size=VOCAB, max_position_embeddings=512, type_vocab_size=2, **SHAPES[name])


def build_torch(name: str, seed: int) -> BertForMaskedLM:
    """The eval-mode torch model: seeded random weights for a synthetic shape, the real weights for splade-tiny."""
    if name == SPLADE:
        return BertForMaskedLM.from_pretrained(REAL_DIR / SPLADE).eval()
    torch.manual_seed(seed)
    return BertForMaskedLM(bert_config(name)).eval()


class _LogitsOnly(torch.nn.Module):
    """The exported graph: (input_ids, attention_mask, token_type_ids) -> logits, one output."""

    def __init__(self, model: BertForMaskedLM) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits


def cache_key(name: str, seed: int) -> str:
    """Directory name of an export: shape, seed, and what changes the weights or the graph (config, versions)."""
    if name == SPLADE:
        blob = (REAL_DIR / SPLADE / "model.safetensors").stat().st_size
        return f"{SPLADE}-{blob}-torch{torch.__version__}"
    digest = hashlib.sha256(bert_config(name).to_json_string().encode()).hexdigest()[:10]
    return f"{name}-seed{seed}-torch{torch.__version__}-{digest}"


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def add_tokenizer(directory: Path) -> None:
    """Copy splade-tiny's tokenizer (BERT's uncased WordPiece vocabulary, the synthetic shapes' vocabulary) beside
    an export that lacks one: static int8 encodes its calibration text with the tokenizer beside the model."""
    for name in TOKENIZER_FILES:
        src, dst = REAL_DIR / SPLADE / name, directory / name
        if src.is_file() and not dst.is_file():
            tmp = dst.with_name(dst.name + f".tmp{os.getpid()}")
            shutil.copy(src, tmp)
            tmp.rename(dst)


def export(model: BertForMaskedLM, directory: Path) -> Path:
    """Export ``model`` to ``directory/model.onnx`` (+ config.json) unless it is there; returns the .onnx path."""
    path = directory / "model.onnx"
    if path.is_file():
        return path
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    example = (torch.full((2, 16), 1000), torch.ones(2, 16, dtype=torch.long), torch.zeros(2, 16, dtype=torch.long))
    batch, seq = torch.export.Dim("batch", min=1, max=1024), torch.export.Dim("sequence", min=1, max=512)
    dims = {0: batch, 1: seq}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(_LogitsOnly(model).eval(), example, str(tmp / "model.onnx"), dynamo=True,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_shapes=(dims, dims, dims), external_data=False, optimize=True)
    model.config.to_json_file(str(tmp / "config.json"))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    return path


def verify(model: BertForMaskedLM, onnx_path: Path, seed: int) -> float:
    """Max |ORT - torch| logit over two shapes ([1, 128] and [3, 37] with padding), real positions only."""
    onnx_model = fm.OnnxMaskedLM(onnx_path)
    rng = np.random.default_rng([seed, 7])
    worst = 0.0
    for batch, length in ((1, 128), (3, 37)):
        ids = rng.integers(1000, model.config.vocab_size, size=(batch, length))
        attention = np.ones_like(ids)
        attention[1:, length // 2:] = 0  # rows after the first are half padding
        ids[attention == 0] = 0
        types = np.zeros_like(ids)
        with torch.inference_mode():
            expected = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(attention),
                             token_type_ids=torch.from_numpy(types)).logits.numpy()
        got = onnx_model(ids, attention, types)
        real = attention == 1
        diff = float(np.abs(got[real] - expected[real]).max())
        worst = max(worst, diff)
        print(f"    verify {onnx_path.parent.name} [{batch}, {length}]: max |ORT - torch| = {diff:.2e}", flush=True)
    return worst


def checkpoint(model: BertForMaskedLM, stem: Path) -> Path:
    """``model.save_pretrained(safe_serialization=True)`` into ``{stem}-hf`` (beside the export, keyed the same)
    unless it is there; returns its ``model.safetensors``."""
    directory = stem.with_name(stem.name + "-hf")
    path = directory / "model.safetensors"
    if path.is_file():
        return path
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"  saving the checkpoint to {directory} ...", flush=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    return path


def verify_numpy(model: BertForMaskedLM, weights: Path, seed: int) -> float:
    """Max |NumPy - torch| logit of ``fm.NumpyMaskedLM`` on the checkpoint, at the shapes ``verify`` uses."""
    numpy_model = fm.NumpyMaskedLM(weights.parent)
    rng = np.random.default_rng([seed, 7])
    worst = 0.0
    for batch, length in ((1, 128), (3, 37)):
        ids = rng.integers(1000, model.config.vocab_size, size=(batch, length))
        attention = np.ones_like(ids)
        attention[1:, length // 2:] = 0
        ids[attention == 0] = 0
        types = np.zeros_like(ids)
        with torch.inference_mode():
            expected = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(attention),
                             token_type_ids=torch.from_numpy(types)).logits.numpy()
        real = attention == 1
        diff = float(np.abs(numpy_model(ids, attention, types)[real] - expected[real]).max())
        worst = max(worst, diff)
        print(f"    verify {weights.parent.name} [{batch}, {length}]: max |NumPy - torch| = {diff:.2e}", flush=True)
    return worst


def prepare(name: str, seed: int, cache: Path) -> tuple[BertForMaskedLM, Path, dict]:
    """Torch model, its verified plain fp32 export, and facts for the report (max abs diff, export seconds)."""
    model = build_torch(name, seed)
    if name == SPLADE:  # the real export beside the weights
        path = REAL_DIR / SPLADE / "model.onnx"
        return model, path, dict(max_abs_diff=verify(model, path, seed), export_s=None, onnx=str(path))
    directory = cache / cache_key(name, seed)
    fresh = not (directory / "model.onnx").is_file()
    start = time.perf_counter()
    if fresh:
        print(f"  exporting {name} to {directory} (dynamo) ...", flush=True)
    path = export(model, directory)
    seconds = time.perf_counter() - start
    add_tokenizer(directory)
    diff = verify(model, path, seed)
    return model, path, dict(max_abs_diff=diff, export_s=seconds if fresh else None, onnx=str(path))


def config_summary(name: str) -> dict:
    c = bert_config(name)
    return dict(layers=c.num_hidden_layers, hidden=c.hidden_size, heads=c.num_attention_heads,
                intermediate=c.intermediate_size, vocab=c.vocab_size)


def _optimizer_digest() -> str:
    """Hash of the optimizer's source, so that a changed optimizer re-optimizes instead of reusing the cache."""
    h = hashlib.sha256()
    for part in sorted((Path(fm.__file__).parent / "optimize").glob("*.py")):
        h.update(part.read_bytes())
    return h.hexdigest()[:10]


def optimized(src: Path, stem: Path, *, int8: bool) -> tuple[Path | None, str]:
    """``fillmask_np.optimize_model`` of the plain export ``src`` (fp32 masked-rows head, or its int8 version),
    cached in a directory named after ``stem`` and the optimizer's source.

    Returns (path, "") or (None, why it is skipped) while the optimizer is missing or fails.
    """
    optimize_model = getattr(fm, "optimize_model", None)
    if optimize_model is None:
        try:
            from fillmask_np.optimize import optimize_model
        except ImportError as exc:
            return None, f"fillmask_np.optimize_model is not available ({exc})"
    directory = stem.with_name(f"{stem.name}-opt{'-int8' if int8 else ''}-{_optimizer_digest()}")
    path = directory / "model.onnx"
    if not path.is_file():
        tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            report = optimize_model(src, tmp / "model.onnx", int8=int8)
            (tmp / REPORT).write_text(json.dumps(report.to_dict(), indent=1, default=str), encoding="utf-8")
        except Exception as exc:  # a work in progress: report, do not crash the benchmark
            shutil.rmtree(tmp, ignore_errors=True)
            return None, f"optimize_model(int8={int8}) failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        if not (tmp / "config.json").exists():
            shutil.copy(src.parent / "config.json", tmp / "config.json")
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
    return path, ""

