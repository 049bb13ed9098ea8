"""The golden protein model (ESM: one token per residue letter) and a word-level copy of it whose tokenizer reads
only whole, space-separated words, as a user's word-level protein tokenizer does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .paths import GOLDEN

ESM = GOLDEN / "models" / "esm"
PROTEIN_TXT = GOLDEN / "text" / "protein_eval.txt"


def word_level_protein(root: Path) -> Path:
    """A copy of the ESM export under ``root`` whose tokenizer splits on whitespace only: an unspaced sequence
    ("MKTAYIAKQR") is one unknown word, a spaced one ("M K T A") one known token per residue."""
    directory = root / "esm_word_level"
    shutil.copytree(ESM, directory)
    spec = json.loads((ESM / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = {"type": "WhitespaceSplit"}
    (directory / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    return directory
