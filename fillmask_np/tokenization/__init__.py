"""Tokenization: Hugging Face tokenizers (tokenizer.json, vocab.txt, vocab.json + merges.txt), special tokens,
encoded rows and padded batches."""

from __future__ import annotations

from .batch import Encoded, Row, pad_ids, pad_rows
from .special_tokens import SPECIAL_TOKEN_POLICIES, check_policy
from .tokenizer import MAX_CHARS_PER_TOKEN, Tokenizer
from .unknown import count_unknown

__all__ = ["MAX_CHARS_PER_TOKEN", "Encoded", "Row", "SPECIAL_TOKEN_POLICIES", "Tokenizer", "check_policy",
           "count_unknown", "pad_ids", "pad_rows"]
