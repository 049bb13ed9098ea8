"""f. The ``text`` and ``tokenizers`` sections of ``manifest.json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from .files import read_lines
from .protein import PROTEIN_TEXT_FILES, protein_text_manifest
from .specs import TEXT_FILES, ModelSpec

DETERMINISM_FIXES = {
    "wordpiece": "sorted '##c' continuation tokens registered as trainer special tokens",
    "unigram": "scores rounded to 6 decimals, the trainer's fallback scores of required characters given in "
    "sorted character order, pieces sorted by (-score, piece) (exporter/unigram.py)",
}


def text_section(out: Path) -> dict[str, Any]:
    """Line counts and origin of the English and the protein texts."""
    english = [read_lines(out / relative) for relative in TEXT_FILES]
    protein = [read_lines(out / relative) for relative in PROTEIN_TEXT_FILES]
    return {
        "train": {"file": TEXT_FILES[0], "n_lines": len(english[0])},
        "eval": {
            "file": TEXT_FILES[1],
            "n_lines": len(english[1]),
            "n_empty_lines": sum(not line.strip() for line in english[1]),
        },
        "origin": "written for this project",
        "protein_train": {"file": PROTEIN_TEXT_FILES[0], "n_lines": len(protein[0])},
        "protein_eval": {"file": PROTEIN_TEXT_FILES[1], "n_lines": len(protein[1])},
        "protein": protein_text_manifest(),
    }


def tokenizers_section(trained: dict[str, Tokenizer], specs: Sequence[ModelSpec]) -> dict[str, Any]:
    """One entry per trained tokenizer: which models use it, its size and how it was made deterministic."""
    section: dict[str, Any] = {}
    for source, tokenizer in trained.items():
        users = [spec for spec in specs if spec.tokenizer.source == source]
        entry: dict[str, Any] = {
            "used_by": [spec.name for spec in users],
            "kind": users[0].tokenizer.kind,
            "vocab_size": tokenizer.get_vocab_size(),
        }
        if source == "residue":
            entry["fixed_vocabulary"] = "facebook/esm2 vocab.txt order (exporter/protein.py ESM_VOCAB), not trained"
        else:
            entry["deterministic_training"] = True
            fix = DETERMINISM_FIXES.get(source) or DETERMINISM_FIXES.get(users[0].tokenizer.kind)
            if fix:
                entry["determinism_fix"] = fix
        section[source] = entry
    return section
