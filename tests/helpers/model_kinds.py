"""Every kind of model the verbs accept, made from the golden tiny BERT: its ONNX file, its export directory,
a checkpoint directory (no model.onnx: the NumPy backend runs it), and the directories `fillmask-np optimize`
writes with and without --int8."""

from __future__ import annotations

import shutil
from pathlib import Path

from fillmask_np.cli import main

from .paths import GOLDEN

BERT = GOLDEN / "models" / "bert"
# the files of a Hugging Face checkpoint directory as save_pretrained writes them (no model.onnx)
CHECKPOINT_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt")
KINDS = ("onnx_file", "export_dir", "checkpoint_dir", "optimized_dir", "int8_dir")


def make_model_kinds(root: Path) -> dict[str, Path]:
    """{kind: the path to pass as --model}, the written kinds under ``root`` (optimize runs through the CLI)."""
    checkpoint = root / "checkpoint"
    checkpoint.mkdir(parents=True)
    for name in CHECKPOINT_FILES:
        shutil.copy(BERT / name, checkpoint / name)
    for kind, extra in (("optimized", []), ("int8", ["--int8"])):
        status = main(["optimize", str(BERT), "-o", str(root / kind), *extra])
        assert status == 0, f"fillmask-np optimize {' '.join(extra)} exited {status}"
    return {"onnx_file": BERT / "model.onnx", "export_dir": BERT, "checkpoint_dir": checkpoint,
            "optimized_dir": root / "optimized", "int8_dir": root / "int8"}


def make_repo_clone(root: Path, *, checkpoint: bool = False) -> Path:
    """A folder laid out as a Hugging Face Hub repo that ships an ONNX export (a clone of it): the golden BERT's
    model.onnx in ``onnx/``, its config.json and tokenizer files at the top (and its model.safetensors there too
    with ``checkpoint``); returns the folder."""
    (root / "onnx").mkdir(parents=True)
    shutil.copy(BERT / "model.onnx", root / "onnx" / "model.onnx")
    for name in CHECKPOINT_FILES if checkpoint else tuple(n for n in CHECKPOINT_FILES if n != "model.safetensors"):
        shutil.copy(BERT / name, root / name)
    return root
