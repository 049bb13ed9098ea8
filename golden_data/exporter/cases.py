"""d. Golden masking cases: mask a padded batch with HF's collator, score it with torch, check, save."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from transformers import DataCollatorForLanguageModeling, PreTrainedModel, PreTrainedTokenizerFast

from .files import save_npz
from .masking_checks import check_masking_semantics
from .models import torch_logits
from .onnx_export import ort_logits
from .specs import CASE_WORD_BUCKETS, IGNORE_INDEX, TOLERANCES, CaseSpec, ExportError, ModelSpec


def pick_case_texts(eval_lines: Sequence[str], seed: int) -> list[str]:
    """One eval text per word-count bucket (clearly different lengths), plus the empty string."""
    rng = np.random.default_rng([seed, 7])
    texts = []
    for low, high in CASE_WORD_BUCKETS:
        candidates = [line for line in eval_lines if low <= len(line.split()) <= high]
        texts.append(candidates[int(rng.integers(len(candidates)))])
    order = rng.permutation(len(texts) + 1)
    with_empty = texts + [""]
    return [with_empty[index] for index in order]


def mask_batch(
    tok: PreTrainedTokenizerFast,
    input_ids: np.ndarray,
    special_tokens_mask: np.ndarray | None,
    generator: np.random.Generator,
    mlm_probability: float,
    mask_replace_prob: float,
    random_replace_prob: float,
    whole_word: bool = False,
    offset_mapping: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``DataCollatorForLanguageModeling.numpy_mask_tokens`` with an explicit generator.

    ``special_tokens_mask=None`` lets the collator compute it from ``tok.all_special_ids``;
    ``whole_word`` is the collator's ``whole_word_mask`` option (needs ``offset_mapping``).
    """
    collator = DataCollatorForLanguageModeling(
        tok,
        mlm_probability=mlm_probability,
        mask_replace_prob=mask_replace_prob,
        random_replace_prob=random_replace_prob,
        whole_word_mask=whole_word,
        return_tensors="np",
    )
    collator.generator = generator
    masked, labels = collator.numpy_mask_tokens(
        input_ids.copy(), special_tokens_mask=special_tokens_mask, offset_mapping=offset_mapping
    )
    return masked.astype(np.int64), labels.astype(np.int64)


def all_special_ids_mask(tok: PreTrainedTokenizerFast, input_ids: np.ndarray) -> np.ndarray:
    """The mask HF's collator computes when it gets none: ``get_special_tokens_mask(already_has_special_tokens)``."""
    rows = [tok.get_special_tokens_mask(row, already_has_special_tokens=True) for row in input_ids.tolist()]
    return np.asarray(rows, dtype=np.int64)


def masking_counts(
    input_ids: np.ndarray, masked: np.ndarray, labels: np.ndarray, mask_id: int
) -> dict[str, int]:
    """Counts of masked positions and what they were replaced with.

    A random replacement that happens to draw the original token counts as "kept"; one that
    draws the mask id counts as a mask-token replacement.
    """
    selected = labels != IGNORE_INDEX
    return {
        "n_masked": int(selected.sum()),
        "n_mask_token": int((selected & (masked == mask_id)).sum()),
        "n_random_replaced": int((selected & (masked != mask_id) & (masked != input_ids)).sum()),
        "n_kept": int((selected & (masked == input_ids)).sum()),
    }


def cross_entropy_np(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean NLL over non-ignored labels, in float64 numpy (independent re-computation)."""
    flat = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    targets = labels.reshape(-1)
    keep = targets != IGNORE_INDEX
    rows = flat[keep]
    shifted = rows - rows.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(rows.shape[0]), targets[keep]].mean())


def make_case(
    case: CaseSpec,
    spec: ModelSpec,
    model: PreTrainedModel,
    tok: PreTrainedTokenizerFast,
    session: ort.InferenceSession,
    eval_lines: Sequence[str],
    path: Path,
) -> dict[str, Any]:
    """Build, check and save one golden case; return its manifest entry."""
    texts = list(case.texts) if case.texts else pick_case_texts(eval_lines, case.seed)
    enc = tok(
        texts, padding=True, return_special_tokens_mask=True, return_offsets_mapping=True, return_tensors="np"
    )
    input_ids = enc["input_ids"].astype(np.int64)
    attention_mask = enc["attention_mask"].astype(np.int64)
    special = enc["special_tokens_mask"].astype(np.int64)
    offsets = enc["offset_mapping"].astype(np.int64)
    masked, labels = mask_batch(
        tok,
        input_ids,
        special if case.special_tokens == "template" else None,
        np.random.default_rng(case.seed),
        case.mlm_probability,
        case.mask_replace_prob,
        case.random_replace_prob,
        whole_word=case.whole_word,
        offset_mapping=offsets if case.whole_word else None,
    )
    logits_t = torch.from_numpy(torch_logits(spec, model, masked, attention_mask))
    labels_t = torch.from_numpy(labels)
    vocab = logits_t.shape[-1]
    loss = torch.nn.functional.cross_entropy(
        logits_t.view(-1, vocab), labels_t.view(-1), ignore_index=IGNORE_INDEX
    )
    per_token = torch.nn.functional.cross_entropy(
        logits_t.view(-1, vocab), labels_t.view(-1), ignore_index=IGNORE_INDEX, reduction="none"
    )
    arrays = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "special_tokens_mask": special,
        "masked_input_ids": masked,
        "labels": labels,
        "logits": logits_t.numpy().astype(np.float32),
        "loss": np.asarray(loss.item(), dtype=np.float32),
        "per_token_loss": per_token.numpy().astype(np.float32),
    }
    if "token_type_ids" in spec.input_names:
        arrays["token_type_ids"] = enc["token_type_ids"].astype(np.int64)
    if case.whole_word:
        arrays["offset_mapping"] = offsets
    if case.special_tokens == "all_special_ids":
        arrays["all_special_ids_mask"] = all_special_ids_mask(tok, input_ids)
    counts = masking_counts(input_ids, masked, labels, tok.mask_token_id)
    checks = check_case(case, arrays, counts, spec, session)
    checks.update(check_masking_semantics(case, tok, arrays, counts))
    save_npz(path, arrays)
    return {
        "model": case.model,
        "seed": case.seed,
        "mlm_probability": case.mlm_probability,
        "mask_replace_prob": case.mask_replace_prob,
        "random_replace_prob": case.random_replace_prob,
        "whole_word": case.whole_word,
        "special_tokens": case.special_tokens,
        "texts": texts,
        "shape": list(input_ids.shape),
        "loss": float(arrays["loss"]),
        **counts,
        **checks,
    }


def check_case(
    case: CaseSpec,
    arrays: dict[str, np.ndarray],
    counts: dict[str, int],
    spec: ModelSpec,
    session: ort.InferenceSession,
) -> dict[str, float]:
    """Sanity checks of one case; returns the measured loss/logit agreements."""
    if arrays["attention_mask"].min() != 0:
        raise ExportError(f"{case.name}: no padding in the batch")
    if counts["n_masked"] == 0:
        raise ExportError(f"{case.name}: nothing was masked")
    if case.require_random_and_kept and (counts["n_random_replaced"] == 0 or counts["n_kept"] == 0):
        raise ExportError(f"{case.name}: needs >= 1 random replacement and >= 1 kept token: {counts}")
    ignored = (arrays["labels"] == IGNORE_INDEX).reshape(-1)
    if np.any(arrays["per_token_loss"][ignored] != 0):
        raise ExportError(f"{case.name}: per-token loss is non-zero at ignored positions")
    loss = float(arrays["loss"])
    np_loss = cross_entropy_np(arrays["logits"], arrays["labels"])
    rel_np = abs(np_loss - loss) / abs(loss)
    if rel_np > TOLERANCES["loss_rtol_torch_logits"]:
        raise ExportError(f"{case.name}: numpy loss {np_loss} vs torch {loss} (rel {rel_np:.2g})")
    ort_out = ort_logits(spec, session, arrays["masked_input_ids"], arrays["attention_mask"])
    ort_diff = float(np.abs(ort_out - arrays["logits"]).max())
    rel_ort = abs(cross_entropy_np(ort_out, arrays["labels"]) - loss) / abs(loss)
    if ort_diff >= TOLERANCES["ort_logits_atol"] or rel_ort > TOLERANCES["loss_rtol_ort_logits"]:
        raise ExportError(f"{case.name}: ORT logits diff {ort_diff:.3g}, loss rel diff {rel_ort:.3g}")
    return {"ort_vs_torch_max_abs": ort_diff, "ort_loss_rel_diff": rel_ort, "numpy_loss_rel_diff": rel_np}
