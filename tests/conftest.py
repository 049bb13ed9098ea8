"""Shared fixtures: the committed golden model, tokenizer and text, and a mask manifest saved from them (paths,
golden model loading and fakes live in ``helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import EVAL_TXT, GOLDEN, load_manifest


@pytest.fixture(scope="session")
def manifest() -> dict:
    return load_manifest()


@pytest.fixture(scope="session")
def bert_dir() -> Path:
    return GOLDEN / "models" / "bert"


@pytest.fixture(scope="session")
def bert_tok(bert_dir):
    import fillmask_np as fm

    return fm.Tokenizer.from_dir(bert_dir)


@pytest.fixture(scope="session")
def bert_model(bert_dir):
    import fillmask_np as fm

    return fm.OnnxMaskedLM(bert_dir / "model.onnx")


@pytest.fixture(scope="session")
def eval_texts() -> list[str]:
    return (GOLDEN / "text" / "eval.txt").read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def saved_masks(bert_model, bert_tok, tmp_path_factory):
    """(report, masks path) of the default per-sample evaluation of eval.txt, its masks saved."""
    import fillmask_np as fm

    path = tmp_path_factory.mktemp("masks") / "masks.npz"
    return fm.evaluate(bert_model, bert_tok, EVAL_TXT, seed=0, save_masks=path, return_tokens=True), path
