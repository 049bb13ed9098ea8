"""d. Minimal-pairs references: the PLL of each sentence of ``text/minimal_pairs.jsonl`` (hand-written BLiMP-style
pairs in the golden English vocabulary), scored with torch as minicons' ``MaskedLMScorer`` does.

For each sentence, encoded alone by the Hugging Face fast tokenizer with its special tokens, minicons builds one
copy per token that is not a special token, that token replaced by the mask token (``within_word_l2r``: also the
later tokens of its word, ``BatchEncoding.word_ids()``); all copies of the sentence run as one torch batch, the
logits at the masked token are log-softmaxed (here in float64) and the original token's log-probability is its
score. PLL(sentence) = the sum of its scores; a pair is right when PLL(good) > PLL(bad).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .files import save_npz
from .models import torch_logits
from .specs import GOLDEN_DIR, ModelSpec

PAIRS_TEXT_FILE = "text/minimal_pairs.jsonl"
PAIRS_MODELS = ("bert", "roberta")
PAIRS_VARIANTS = ("original", "within_word_l2r")


def read_pairs(path: Path) -> list[dict[str, str]]:
    """The records of the pairs file (one JSON object per non-blank line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentence_pll(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, text: str,
                 variant: str) -> tuple[float, int]:
    """(PLL, number of scored tokens) of one sentence: one masked copy per non-special token, one torch batch."""
    enc = tok(text, return_special_tokens_mask=True)
    ids = torch.tensor(enc["input_ids"], dtype=torch.long)  # [L]
    words = enc.word_ids()
    targets = [p for p, special in enumerate(enc["special_tokens_mask"]) if not special]
    copies = ids.repeat(len(targets), 1)  # [T, L]
    for row, p in enumerate(targets):
        copies[row, p] = tok.mask_token_id
        if variant == "within_word_l2r" and words[p] is not None:
            for q in targets:
                if q > p and words[q] == words[p]:
                    copies[row, q] = tok.mask_token_id
    logits = torch.from_numpy(torch_logits(spec, model, copies.numpy(), np.ones(tuple(copies.shape), np.int64)))
    rows = logits[torch.arange(len(targets)), torch.tensor(targets)].double()  # [T, V]
    scores = torch.log_softmax(rows, dim=-1)[torch.arange(len(targets)), ids[targets]]  # [T]
    return float(scores.sum()), len(targets)


def pairs_reference(exported: dict[str, Any], out: Path) -> dict[str, Any]:
    """The manifest's ``pairs`` section: ``cases/pairs_<model>.npz`` for bert and roberta (those exported); the
    hand-written pairs file is copied into ``out`` (unless exporting in place)."""
    source, target = GOLDEN_DIR / PAIRS_TEXT_FILE, out / PAIRS_TEXT_FILE
    if source.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    records = read_pairs(target)
    section: dict[str, Any] = {}
    for name in PAIRS_MODELS:
        if name not in exported:
            continue
        item = exported[name]
        arrays: dict[str, np.ndarray] = {}
        figures = {}
        for variant in PAIRS_VARIANTS:
            for side in ("good", "bad"):
                scored = [sentence_pll(item.spec, item.model, item.tok, r[f"sentence_{side}"], variant)
                          for r in records]
                arrays[f"{variant}_{side}_pll"] = np.array([s for s, _ in scored], dtype=np.float64)
                arrays[f"{variant}_{side}_n_scored"] = np.array([n for _, n in scored], dtype=np.int64)
            right = arrays[f"{variant}_good_pll"] > arrays[f"{variant}_bad_pll"]
            figures[variant] = {"accuracy": float(right.mean()), "n_correct": int(right.sum())}
        path = out / "cases" / f"pairs_{name}.npz"
        save_npz(path, arrays)
        section[name] = {"file": f"cases/pairs_{name}.npz", "text_file": PAIRS_TEXT_FILE, "n_pairs": len(records),
                         "variants": figures, "definition": _DEFINITION}
    return section


_DEFINITION = {
    "pairs": "the records of text_file in order; good = sentence_good, bad = sentence_bad",
    "pll": "minicons MaskedLMScorer: each sentence encoded alone with special tokens; one copy per token with "
           "special_tokens_mask == 0, that token (within_word_l2r: and the later tokens of the same word_ids()) "
           "replaced by the mask token; torch float32 logits of the copies as one batch, log-softmax in float64 "
           "at the masked token; PLL = the sum",
    "accuracy": "share of pairs with good PLL > bad PLL",
    "npz": "<variant>_<good|bad>_pll float64 [n_pairs], <variant>_<good|bad>_n_scored int64 [n_pairs]",
}

