"""Tokenization: Hugging Face tokenizers (tokenizer.json, vocab.txt, vocab.json + merges.txt), special tokens,
encoded rows and padded batches."""

from __future__ import annotations

from .batch import Encoded, Row, pad_ids
from .tokenizer import MAX_CHARS_PER_TOKEN, Tokenizer
from .unknown import count_unknown

__all__ = ["Encoded", "MAX_CHARS_PER_TOKEN", "Row", "Tokenizer", "count_unknown", "pad_ids"]
