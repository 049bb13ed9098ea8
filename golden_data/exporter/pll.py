"""d. Pseudo-log-likelihood references: each scored token masked in its own copy of the sample, scored with torch.

The plain definition (Salazar et al. 2020; Kauf & Ivanova 2023 for ``within_word_l2r``, as minicons implements it):
sample i is encoded alone by the Hugging Face fast tokenizer (truncation to ``MAX_SEQUENCE_LENGTH``, special
tokens added); every position that is not a template special token (``return_special_tokens_mask``) is a scored
token. For scored position p one copy of the sample has p replaced by the mask token -- and, for
``within_word_l2r``, also every later position of the same word (``BatchEncoding.word_ids()``). The torch logits of
that copy at p give log P(original token), log-softmax in float64. PLL(sample) = the sum over its scored tokens;
PPPL = exp(-sum PLL / number of scored tokens). The copies of one sample run as one unpadded torch batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .files import save_npz
from .models import torch_logits
from .specs import MAX_SEQUENCE_LENGTH, ModelSpec

PLL_N_SAMPLES = 12
PLL_VARIANTS = ("original", "within_word_l2r")


def mask_sets(special: np.ndarray, word_ids: Sequence[int | None], variant: str) -> list[tuple[int, list[int]]]:
    """(scored position, positions replaced by the mask token) for every scored position, in order."""
    scored = [p for p in range(len(special)) if not special[p]]
    sets = []
    for p in scored:
        masked = [p]
        if variant == "within_word_l2r" and word_ids[p] is not None:
            masked += [j for j in scored if j > p and word_ids[j] == word_ids[p]]
        sets.append((p, masked))
    return sets


def sample_log_probs(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, ids: np.ndarray,
    sets: list[tuple[int, list[int]]],
) -> np.ndarray:
    """float64 log P(original token) at each scored position: one torch forward over the sample's copies."""
    copies = np.repeat(ids[None, :], len(sets), axis=0)  # [T, L]
    for row, (_, masked) in enumerate(sets):
        copies[row, masked] = tok.mask_token_id
    logits = torch_logits(spec, model, copies, np.ones_like(copies))  # [T, L, V] float32
    positions = np.array([p for p, _ in sets], dtype=np.int64)
    rows = logits[np.arange(len(sets)), positions].astype(np.float64)  # [T, V]
    shifted = rows - rows.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # [T, V]
    return log_probs[np.arange(len(sets)), ids[positions]]


def model_pll(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, eval_lines: Sequence[str],
    source: str, path: Path,
) -> dict[str, Any]:
    """Write ``path`` (the npz of one model) and return its manifest entry."""
    chosen = [(number, line) for number, line in enumerate(eval_lines) if line.strip()][:PLL_N_SAMPLES]
    rows, specials, words = [], [], []
    for _, text in chosen:
        enc = tok(text, truncation=True, max_length=MAX_SEQUENCE_LENGTH, return_special_tokens_mask=True)
        rows.append(np.asarray(enc["input_ids"], dtype=np.int64))
        specials.append(np.asarray(enc["special_tokens_mask"], dtype=np.int64))
        words.append(enc.word_ids())
    arrays: dict[str, np.ndarray] = {
        "line_index": np.array([number for number, _ in chosen], dtype=np.int64),
        "row_splits": np.cumsum([0] + [len(r) for r in rows]).astype(np.int64),
        "input_ids": np.concatenate(rows),
        "special_tokens_mask": np.concatenate(specials),
        "word_ids": np.array([-1 if w is None else w for ws in words for w in ws], dtype=np.int64),
    }
    variants = {}
    for variant in PLL_VARIANTS:
        token_log_prob = np.zeros(len(arrays["input_ids"]), dtype=np.float64)  # 0 where nothing is scored
        pll, n_scored, n_masked = [], [], 0
        for start, ids, special, word_ids in zip(arrays["row_splits"], rows, specials, words):
            sets = mask_sets(special, word_ids, variant)
            values = sample_log_probs(spec, model, tok, ids, sets) if sets else np.zeros(0)
            token_log_prob[start + np.array([p for p, _ in sets], dtype=np.int64)] = values
            pll.append(float(values.sum()))
            n_scored.append(len(sets))
            n_masked += sum(len(masked) for _, masked in sets)
        arrays[f"{variant}_token_log_prob"] = token_log_prob
        arrays[f"{variant}_pll"] = np.array(pll, dtype=np.float64)
        arrays[f"{variant}_n_scored"] = np.array(n_scored, dtype=np.int64)
        total, count = float(np.sum(pll)), int(np.sum(n_scored))
        variants[variant] = {
            "pseudo_log_likelihood": total,
            "n_scored_tokens": count,
            "pseudo_perplexity": math.exp(-total / count),
            "n_masked_positions": n_masked,  # mask tokens over all copies (= n_scored_tokens for original)
        }
    save_npz(path, arrays)
    return {
        "n_samples": len(chosen),
        "n_tokens": len(arrays["input_ids"]),
        "text_file": source,
        "selection": f"the first {PLL_N_SAMPLES} non-empty (not whitespace-only) lines of {source}, in order",
        "max_length": MAX_SEQUENCE_LENGTH,
        "variants": variants,
        "definition": {
            "encoding": "each sample alone: tok(text, truncation=True, max_length=max_length, "
            "return_special_tokens_mask=True); scored positions: special_tokens_mask == 0",
            "original": "one copy per scored position, that position replaced by the mask token",
            "within_word_l2r": "as original, and every later scored position with the same word_ids() "
            "(BatchEncoding.word_ids(); None never groups) also replaced (Kauf & Ivanova 2023, minicons)",
            "log_prob": "torch float32 logits of the copy at the scored position, log-softmax in float64",
            "pseudo_perplexity": "exp(-sum of PLL over samples / number of scored tokens)",
            "npz": "ragged rows concatenated (row_splits); <variant>_token_log_prob is 0 at unscored positions; "
            "word_ids -1 where HF gives None",
        },
    }


def pll_reference(exported: dict[str, Any], eval_lines: dict[str, Sequence[str]], sources: dict[str, str],
                  out: Path) -> dict[str, Any]:
    """The manifest's ``pll`` section: ``cases/pll_<model>.npz`` per model (``exported``: name -> ``ExportedModel``)."""
    section = {}
    for name, item in exported.items():
        corpus = item.spec.corpus
        path = out / "cases" / f"pll_{name}.npz"
        entry = model_pll(item.spec, item.model, item.tok, eval_lines[corpus], sources[corpus], path)
        section[name] = {"file": f"cases/pll_{name}.npz", **entry}
    return section
