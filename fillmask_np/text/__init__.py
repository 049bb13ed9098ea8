"""Files in and out: text, JSONL and list sources, sample numbering, progress, the sha256 of inputs, and
outputs that never overwrite an input nor leave a partial file."""

from __future__ import annotations

from .hashing import data_sha256, file_sha256
from .inputs import check_input_file
from .outputs import MODEL_FILE_NAMES, AtomicFile, check_output, same_file
from .run_reads import reading_run
from .pair_sources import PairRow, PairSource, iter_pairs
from .counting import sample_total
from .progress import Progress, progress_enabled, progress_named
from .resources import default_model_dir, default_text_path
from .samples import check_shard, non_empty, shard_label
from .sources import TextSource, bytes_texts, iter_texts, stdin_texts

__all__ = ["AtomicFile", "PairRow", "PairSource", "iter_pairs", "MODEL_FILE_NAMES", "Progress", "progress_enabled", "progress_named", "sample_total", "TextSource", "bytes_texts", "check_input_file",
           "check_output", "check_shard", "data_sha256", "default_model_dir", "default_text_path", "file_sha256",
           "iter_texts", "non_empty", "reading_run", "same_file",
           "shard_label", "stdin_texts"]
