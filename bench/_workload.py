"""The benchmark's inputs, numpy and fillmask_np only (no torch): every path gets the same masked ids and labels.

* synthetic: batches of B x L random ids ([CLS] ... [SEP], no padding), masked by ``fm.mask_tokens`` with a
  seeded Generator per batch;
* real: the first N non-heading, non-empty lines of WikiText-2's test split, tokenized by splade-tiny's
  tokenizer and masked per sample exactly as ``fm.evaluate(masking="per_sample")`` masks them, batched either
  as evaluate batches them (sorted by length inside windows of 16 batches) or padded to the longest line in
  file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import fillmask_np as fm

REAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "real"
WIKI = REAL_DIR / "wikitext-2-raw" / "wiki.test.raw"
CLS, SEP, MASK, VOCAB = 101, 102, 103, 30522  # BERT uncased
EVAL_WINDOW_BATCHES = 16  # as fillmask_np.evaluate's _WINDOW_BATCHES
EVAL_LOGITS_BUDGET = 1 << 24  # as fillmask_np.evaluate's default logits_budget


@dataclass
class Batch:
    """A masked, padded batch: int64 [B, L] arrays; ``labels`` -100 where nothing is scored."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    labels: np.ndarray

    @property
    def n_real(self) -> int:
        return int(self.attention_mask.sum())

    @property
    def n_masked(self) -> int:
        return int(np.count_nonzero(self.labels != -100))

    @property
    def lengths(self) -> np.ndarray:
        return self.attention_mask.sum(axis=1)


def synthetic_batches(batch: int, length: int, n_batches: int, seed: int) -> list[Batch]:
    """``n_batches`` batches of ``batch`` x ``length`` random ids, 15% masked (HF's 80/10/10)."""
    out = []
    for k in range(n_batches):
        rng = np.random.default_rng([seed, batch, length, k])
        ids = rng.integers(1000, VOCAB, size=(batch, length), dtype=np.int64)
        ids[:, 0], ids[:, -1] = CLS, SEP
        special = np.zeros_like(ids)
        special[:, [0, -1]] = 1
        masked, labels = fm.mask_tokens(ids, special_tokens_mask=special, mask_token_id=MASK, vocab_size=VOCAB,
                                        rng=rng)
        out.append(Batch(masked, np.ones_like(ids), np.zeros_like(ids), labels))
    return out


def n_batches_for(batch: int, length: int, min_tokens: int) -> int:
    """Enough batches that one measurement covers at least ``min_tokens`` tokens."""
    return max(1, -(-min_tokens // (batch * length)))


def real_lines(n: int) -> list[str]:
    """The first ``n`` non-empty lines of wiki.test.raw that are not headings (" = Title = ")."""
    lines = []
    for line in WIKI.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(" = "):
            lines.append(line)
            if len(lines) == n:
                break
    return lines


def real_samples(tok: fm.Tokenizer, lines: list[str], seed: int, max_length: int) -> list[tuple]:
    """``(index, masked Row, labels)`` for every line, masked as evaluate(masking="per_sample") masks sample i."""
    rows = tok.encode_rows(lines, max_length=max_length)
    out = []
    for i, row in enumerate(rows):
        masked, labels = fm.mask_tokens(row.ids[None, :], special_tokens_mask=row.special_tokens_mask[None, :],
                                        mask_token_id=tok.mask_token_id, vocab_size=len(tok),
                                        rng=fm.sample_rng(seed, i))
        out.append((i, row._replace(ids=masked[0]), labels[0]))
    return out


def _batch(tok: fm.Tokenizer, group: list, width: int) -> Batch:
    enc = tok.pad([row for _, row, _ in group], length=width)
    labels = np.full(enc.input_ids.shape, -100, dtype=np.int64)
    for j, (_, _, lab) in enumerate(group):
        labels[j, : len(lab)] = lab
    return Batch(enc.input_ids, enc.attention_mask, enc.token_type_ids, labels)


def _scored(samples: list) -> list:
    """Samples with at least one masked token (evaluate runs only those)."""
    return [s for s in samples if np.any(s[2] != -100)]


def bucketed_batches(tok: fm.Tokenizer, samples: list, batch_size: int) -> list[Batch]:
    """The batches evaluate builds: windows of 16 batches' samples, scored ones sorted by length, each padded."""
    window = batch_size * EVAL_WINDOW_BATCHES
    out = []
    for start in range(0, len(samples), window):
        kept = sorted(_scored(samples[start : start + window]), key=lambda s: len(s[2]))
        for b in range(0, len(kept), batch_size):
            group = kept[b : b + batch_size]
            out.append(_batch(tok, group, max(len(s[2]) for s in group)))
    return out


def padded_batches(tok: fm.Tokenizer, samples: list, batch_size: int) -> list[Batch]:
    """Scored samples in file order, every batch padded to the longest line of the whole set."""
    width = max(len(s[2]) for s in samples)
    kept = _scored(samples)
    return [_batch(tok, kept[b : b + batch_size], width) for b in range(0, len(kept), batch_size)]
