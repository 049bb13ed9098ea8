"""Files in and out: text, JSONL and list sources, sample numbering, progress, the sha256 of inputs, and
outputs that never overwrite an input nor leave a partial file."""

from __future__ import annotations

from .hashing import data_sha256, file_sha256, texts_sha256
from .inputs import check_input_file
from .outputs import MODEL_FILE_NAMES, AtomicFile, check_output, model_file_owner, same_file
from .run_reads import files_read, note_read, reading_run
from .progress import Progress
from .resources import default_model_dir, default_text_path
from .samples import check_shard, non_empty, shard_label
from .sources import TextSource, bytes_texts, iter_texts, stdin_texts

__all__ = ["MODEL_FILE_NAMES", "model_file_owner", "files_read", "note_read", "reading_run", "AtomicFile", "bytes_texts", "Progress", "default_model_dir", "default_text_path", "check_input_file", "check_output",
           "same_file", "check_shard", "shard_label", "stdin_texts", "TextSource", "data_sha256", "file_sha256", "iter_texts", "non_empty",
           "texts_sha256"]
