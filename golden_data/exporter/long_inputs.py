"""d. Inputs longer than the model (``long="window"``): windowed pseudo-log-likelihood and evaluation in torch.

The definition (issue 21, part 3), written here independently of the library: a sample is encoded whole by the
Hugging Face fast tokenizer (no truncation, special tokens added, ``return_special_tokens_mask``); its tokens
without the template's specials (n of them) are cut into windows of W = ``LONG_MAX_LENGTH`` minus the number of
template specials, starting at 0, S, 2S, ... (S = ``LONG_STRIDE``) while the window ends before the last token,
and one last window ending at the last token. Each token is scored once, in the window where
``min(t - start, start + W - 1 - t)`` is largest (ties: the earlier window), with the template's specials around
the window. Pseudo-log-likelihood: one copy of the window per owned token, that token replaced by the mask token.
Evaluation: sample i is masked once over all its tokens by HF's ``numpy_mask_tokens`` with
``default_rng([REFERENCE_SEED, i])`` (``REFERENCE_MLM``); each window carries the masked ids and scores the masked
tokens it owns. Log-softmax in float64 of torch float32 logits.

Samples: one long text built deterministically from the eval text (the first ``LONG_LINES`` non-empty lines
joined by a space; for proteins, without a space) and the shortest later non-empty line, within one window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .cases import mask_batch
from .files import save_npz
from .models import torch_logits
from .specs import IGNORE_INDEX, REFERENCE_MLM, REFERENCE_SEED, ModelSpec

LONG_MODELS = ("bert", "esm")
LONG_MAX_LENGTH = 32  # well below the models' 128: windows without a long text file
LONG_STRIDE = 11
LONG_LINES = 8


def long_samples(eval_lines: Sequence[str], corpus: str) -> list[str]:
    """The long sample (the first ``LONG_LINES`` non-empty lines joined) and the shortest later line (the first of
    the shortest), a short one."""
    lines = [line.strip() for line in eval_lines if line.strip()]
    return [("" if corpus == "protein" else " ").join(lines[:LONG_LINES]), min(lines[LONG_LINES:], key=len)]


def windows(n: int, width: int, stride: int) -> list[tuple[int, list[int]]]:
    """(start, tokens it scores) of each window of n content tokens, by the definition's loop."""
    starts = [0] if n <= width else [*range(0, n - width, stride), n - width]
    owned: list[list[int]] = [[] for _ in starts]
    for t in range(n):
        best, best_distance = 0, -1
        for k, s in enumerate(starts):
            if s <= t < s + width and min(t - s, s + width - 1 - t) > best_distance:
                best, best_distance = k, min(t - s, s + width - 1 - t)
        owned[best].append(t)
    return list(zip(starts, owned))


def log_softmax_at(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """[R, V] float32 logits -> [R] float64 log P(target)."""
    rows = logits.astype(np.float64)
    shifted = rows - rows.max(axis=1, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[np.arange(len(targets)), targets]


def sample_figures(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, text: str, index: int
) -> dict[str, np.ndarray]:
    """One sample's per-token arrays: ids, template specials, PLL log-prob and eval labels / NLL (0 elsewhere)."""
    enc = tok(text, return_special_tokens_mask=True)
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    special = np.asarray(enc["special_tokens_mask"], dtype=np.int64)
    prefix = int(np.argmin(special))
    suffix = int(special.sum()) - prefix
    width, n = LONG_MAX_LENGTH - prefix - suffix, len(ids) - prefix - suffix
    masked, labels = mask_batch(tok, ids[None], special[None], np.random.default_rng([REFERENCE_SEED, index]),
                                **REFERENCE_MLM)
    masked, labels = masked[0], labels[0]
    pll = np.zeros(len(ids), dtype=np.float64)
    nll = np.zeros(len(ids), dtype=np.float64)
    top1 = np.zeros(len(ids), dtype=np.int64)
    window_of = np.full(len(ids), -1, dtype=np.int64)
    for k, (start, owned) in enumerate(windows(n, width, LONG_STRIDE)):
        take = [*range(prefix), *range(prefix + start, prefix + min(start + width, n)),
                *range(len(ids) - suffix, len(ids))]
        scored = [take.index(prefix + t) for t in owned]  # window positions of the owned tokens
        window_of[[prefix + t for t in owned]] = k
        copies = np.repeat(ids[take][None], len(scored), axis=0)  # [T, Lw]
        copies[np.arange(len(scored)), scored] = tok.mask_token_id
        logits = torch_logits(spec, model, copies, np.ones_like(copies))  # [T, Lw, V]
        pll[[take[p] for p in scored]] = log_softmax_at(logits[np.arange(len(scored)), scored], ids[take][scored])
        hit = [p for p in scored if labels[take[p]] != IGNORE_INDEX]
        if hit:
            logits = torch_logits(spec, model, masked[take][None], np.ones((1, len(take)), dtype=np.int64))[0]
            targets = labels[take][hit]
            nll[[take[p] for p in hit]] = -log_softmax_at(logits[hit], targets)
            top1[[take[p] for p in hit]] = logits[hit].argmax(axis=1) == targets
    return {"input_ids": ids, "special_tokens_mask": special, "window": window_of, "pll_token_log_prob": pll,
            "masked_ids": masked, "labels": labels, "eval_token_nll": nll, "eval_top1": top1}


def model_long(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, eval_lines: Sequence[str], path: Path
) -> dict[str, Any]:
    """Write ``path`` (the npz of one model) and return its manifest entry."""
    texts = long_samples(eval_lines, spec.corpus)
    per_sample = [sample_figures(spec, model, tok, text, i) for i, text in enumerate(texts)]
    arrays = {key: np.concatenate([s[key] for s in per_sample]) for key in per_sample[0]}
    arrays["row_splits"] = np.cumsum([0] + [len(s["input_ids"]) for s in per_sample]).astype(np.int64)
    scored = arrays["special_tokens_mask"] == 0
    masked = arrays["labels"] != IGNORE_INDEX
    plls = [float(math.fsum(s["pll_token_log_prob"])) for s in per_sample]
    nll = math.fsum(arrays["eval_token_nll"].tolist())
    save_npz(path, arrays)
    return {
        "texts": texts,
        "max_length": LONG_MAX_LENGTH,
        "stride": LONG_STRIDE,
        "n_tokens": [len(s["input_ids"]) for s in per_sample],
        "n_windows": [int(s["window"].max()) + 1 for s in per_sample],
        "pppl": {"pll": plls, "n_scored_tokens": int(scored.sum()),
                 "pseudo_perplexity": math.exp(-math.fsum(plls) / int(scored.sum()))},
        "eval": {"seed": REFERENCE_SEED, **REFERENCE_MLM, "n_masked": int(masked.sum()), "nll_sum": nll,
                 "cross_entropy": nll / int(masked.sum()), "top1": int(arrays["eval_top1"].sum())},
        "definition": {
            "texts": f"the first {LONG_LINES} non-empty lines of the eval text joined (protein: no separator), "
            "then the shortest later non-empty line (the first of the shortest)",
            "encoding": "tok(text, return_special_tokens_mask=True), no truncation",
            "windows": "W = max_length minus the template's specials; starts 0, S, 2S, ... below n - W, then n - W; "
            "token t scored in the window maximizing min(t - s, s + W - 1 - t), ties the earlier",
            "pppl": "one copy of the window per owned token, masked; torch float32 logits, log-softmax float64",
            "eval": "the whole sample masked once by numpy_mask_tokens with default_rng([seed, i]); each window "
            "of the masked ids scores its owned masked tokens",
            "npz": "ragged rows concatenated (row_splits); window: the window owning each content token (-1 on "
            "specials); pll_token_log_prob / eval_token_nll 0 where nothing is scored",
        },
    }


def long_reference(exported: dict[str, Any], eval_lines: dict[str, Sequence[str]], out: Path) -> dict[str, Any]:
    """The manifest's ``long_inputs`` section: ``cases/long_<model>.npz`` for each of ``LONG_MODELS`` exported."""
    section = {}
    for name in LONG_MODELS:
        if name in exported:
            item = exported[name]
            path = out / "cases" / f"long_{name}.npz"
            entry = model_long(item.spec, item.model, item.tok, eval_lines[item.spec.corpus], path)
            section[name] = {"file": f"cases/long_{name}.npz", **entry}
    return section
