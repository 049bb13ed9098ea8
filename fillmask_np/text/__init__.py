"""Corpus in: text, JSONL and list sources, sample numbering, progress, and the sha256 of inputs."""

from __future__ import annotations

from .hashing import data_sha256, file_sha256, texts_sha256
from .progress import Progress
from .samples import non_empty
from .sources import TextSource, iter_texts

__all__ = ["Progress", "TextSource", "data_sha256", "file_sha256", "iter_texts", "non_empty", "texts_sha256"]
