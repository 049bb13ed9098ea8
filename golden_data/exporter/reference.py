"""e. Per-sample masked-LM figures: splade-tiny on WikiText-2 lines and each tiny model on eval.txt."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import BertForMaskedLM, PreTrainedModel, PreTrainedTokenizerFast

from .cases import mask_batch, masking_counts
from .files import read_lines, sha256_file
from .models import torch_logits
from .onnx_export import ort_session
from .specs import (
    BERT_SPECIALS,
    IGNORE_INDEX,
    MAX_SEQUENCE_LENGTH,
    REFERENCE_MLM,
    REFERENCE_SEED,
    SPLADE_MAX_LENGTH,
    SPLADE_N_SAMPLES,
    SPLADE_N_SAMPLES_SMALL,
    ModelSpec,
)


def mask_sample(
    tok: PreTrainedTokenizerFast, text: str, index: int, max_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Encode sample ``index`` alone and mask it with ``default_rng([REFERENCE_SEED, index])``.

    Truncation to ``max_length``, no padding, the template's special tokens never selected, HF's
    ``numpy_mask_tokens`` with ``REFERENCE_MLM``.  Returns ``(input_ids, masked, labels)``, each
    int64 [1, L], and whether the sample was truncated.
    """
    enc = tok(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
    full_length = len(tok(text)["input_ids"])
    input_ids = np.asarray([enc["input_ids"]], dtype=np.int64)
    special = np.asarray([enc["special_tokens_mask"]], dtype=np.int64)
    masked, labels = mask_batch(
        tok, input_ids, special, np.random.default_rng([REFERENCE_SEED, index]), **REFERENCE_MLM
    )
    return input_ids, masked, labels, full_length > max_length


def per_sample_masked_lm(
    tok: PreTrainedTokenizerFast,
    samples: Sequence[str],
    max_length: int,
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> list[dict[str, Any]]:
    """Mask each sample alone with ``default_rng([REFERENCE_SEED, i])`` and score its masked tokens.

    Sample i is encoded alone (truncation to ``max_length``, no padding), masked with
    ``numpy_mask_tokens`` (0.15 / 0.8 / 0.1; ``mask_sample``) and run through ``forward`` (float32 logits
    [1, L, V]).  Returns per-sample sums of NLL, correct top-1 counts and masking counts.
    """
    results = []
    for index, text in enumerate(samples):
        input_ids, masked, labels, truncated = mask_sample(tok, text, index, max_length)
        selected = labels[0] != IGNORE_INDEX
        result = {
            "n_tokens": int(input_ids.shape[1]),
            "truncated": truncated,
            "nll_sum": 0.0,
            "n_correct": 0,
        }
        result.update(masking_counts(input_ids, masked, labels, tok.mask_token_id))
        if selected.any():
            logits = forward(masked, np.ones_like(masked))[0][selected].astype(np.float64)
            targets = labels[0][selected]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            result["nll_sum"] = float(-log_probs[np.arange(len(targets)), targets].sum())
            result["n_correct"] = int((logits.argmax(axis=1) == targets).sum())
        results.append(result)
    return results


def summarize_masked_lm(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-sample results: CE = total NLL / number of masked tokens."""
    n_masked = sum(item["n_masked"] for item in results)
    nll = sum(item["nll_sum"] for item in results)
    return {
        "n_samples": len(results),
        "n_tokens": sum(item["n_tokens"] for item in results),
        "n_masked": n_masked,
        "n_mask_token": sum(item["n_mask_token"] for item in results),
        "n_random_replaced": sum(item["n_random_replaced"] for item in results),
        "n_kept": sum(item["n_kept"] for item in results),
        "n_truncated": sum(bool(item["truncated"]) for item in results),
        "cross_entropy": nll / n_masked,
        "top1_accuracy": sum(item["n_correct"] for item in results) / n_masked,
        "n_masked_per_sample_first_20": [item["n_masked"] for item in results[:20]],
    }


def masking_parameters(max_length: int) -> dict[str, Any]:
    """The per-sample masking parameters and definition, recorded next to each figure."""
    return {
        "seed": REFERENCE_SEED,
        "max_length": max_length,
        "truncation": True,
        **REFERENCE_MLM,
        "definition": {
            "generator": "numpy.random.default_rng([seed, i]) for sample i (0-based)",
            "masking": "transformers DataCollatorForLanguageModeling.numpy_mask_tokens, each sample alone "
            "[1, L_i], encoded with truncation to max_length and no padding",
            "cross_entropy": "sum of NLL over all masked tokens / number of masked tokens (natural log)",
        },
    }


def wikitext_samples(path: Path, count: int) -> list[str]:
    """First ``count`` lines of wiki.test.raw that are non-blank and not " = " headings."""
    samples = [line for line in read_lines(path) if line.strip() and not line.startswith(" = ")]
    return samples[:count]


def splade_reference(shared: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Torch masked-LM figures of splade-tiny on WikiText-2 test lines (500 and first 200)."""
    model_dir = shared / "real" / "splade-tiny"
    wiki = shared / "real" / "wikitext-2-raw" / "wiki.test.raw"
    if not model_dir.is_dir() or not wiki.is_file():
        reason = f"skipped: shared material not found ({model_dir} / {wiki})"
        print(f"NOTE: splade-tiny reference {reason}", file=sys.stderr)
        return {"skipped": reason}, {"skipped": reason}
    tok = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"), **BERT_SPECIALS)
    model = BertForMaskedLM.from_pretrained(str(model_dir), dtype=torch.float32)
    model.eval()

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            inputs = {
                "input_ids": torch.from_numpy(input_ids),
                "attention_mask": torch.from_numpy(attention_mask),
                "token_type_ids": torch.zeros_like(torch.from_numpy(input_ids)),
            }
            return model(**inputs).logits.numpy()

    samples = wikitext_samples(wiki, SPLADE_N_SAMPLES)
    results = per_sample_masked_lm(tok, samples, SPLADE_MAX_LENGTH, forward)
    ort_check = splade_onnx_check(model_dir, tok, samples, summarize_masked_lm(results)["cross_entropy"])
    common = {
        "model": "<shared>/real/splade-tiny (BertForMaskedLM.from_pretrained, torch float32, eval)",
        "model_safetensors_sha256": sha256_file(model_dir / "model.safetensors"),
        "tokenizer": "PreTrainedTokenizerFast(tokenizer_file=<shared>/real/splade-tiny/tokenizer.json)",
        "len_tokenizer": len(tok),
        "data": "<shared>/real/wikitext-2-raw/wiki.test.raw",
        "data_sha256": sha256_file(wiki),
        "selection": "lines split on '\\n' with a trailing '\\r' removed, decoded as UTF-8; keep lines that are "
        "not whitespace-only and do not start with ' = '; take the first N of those",
        **masking_parameters(SPLADE_MAX_LENGTH),
        "forward": "each sample alone, no padding, attention_mask = 1, token_type_ids = 0",
    }
    full = {**common, **summarize_masked_lm(results), **ort_check}
    small = {**common, **summarize_masked_lm(results[:SPLADE_N_SAMPLES_SMALL])}
    return full, small


def splade_onnx_check(
    model_dir: Path, tok: PreTrainedTokenizerFast, samples: Sequence[str], torch_ce: float
) -> dict[str, Any]:
    """Same figure with the shared model.onnx under ONNX Runtime (informative; not a golden value)."""
    path = model_dir / "model.onnx"
    if not path.is_file():
        return {"onnx_cross_entropy": None}
    session = ort_session(path)

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        return session.run(["logits"], feeds)[0]

    ce = summarize_masked_lm(per_sample_masked_lm(tok, samples, SPLADE_MAX_LENGTH, forward))["cross_entropy"]
    return {
        "onnx_cross_entropy": ce,
        "onnx_vs_torch_rel_diff": abs(ce - torch_ce) / torch_ce,
        "onnx_model_sha256": sha256_file(path),
    }


def eval_txt_reference(
    spec: ModelSpec,
    model: PreTrainedModel,
    tok: PreTrainedTokenizerFast,
    eval_lines: Sequence[str],
    source: str = "text/eval.txt",
) -> dict[str, Any]:
    """The same per-sample figure for a tiny model on the non-empty lines of ``source`` (its eval text)."""
    samples = [line for line in eval_lines if line.strip()]
    results = per_sample_masked_lm(
        tok, samples, MAX_SEQUENCE_LENGTH, lambda ids, mask: torch_logits(spec, model, ids, mask)
    )
    summary = summarize_masked_lm(results)
    summary.update(masking_parameters(MAX_SEQUENCE_LENGTH))
    summary["selection"] = f"non-empty (not whitespace-only) lines of {source}, in order"
    summary["text_file"] = source
    summary["uniform_cross_entropy"] = math.log(len(tok))
    return summary
