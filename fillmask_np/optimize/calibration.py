"""Calibration data for static int8: a seeded sample of a text, encoded and masked the way evaluation masks it.

Static quantization fixes each quantized activation's scale from the ranges seen on these feeds, so they
should look like evaluation's: texts encoded by the model's own tokenizer (the one beside it), MLM-masked
by ``mask_tokens`` (15 %, 80/10/10) with a seeded Generator per sample, and the LM head run on the masked
positions only (``masked_positions`` [M, 2]). Each sample is one unpadded feed, so padding rows never
widen a range. The default text is the bundled evaluation text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FillMaskError, first_line
from ..limits import check_count
from ..masking import mask_tokens
from ..metrics import too_many_unknown
from ..runtime import POSITIONS_INPUT, OnnxMaskedLM, config_int
from ..runtime.feeds import build_feed
from ..text import check_input_file, default_text_path, iter_texts
from ..tokenization import Tokenizer, count_unknown

__all__ = ["Calibration", "CalibrationText", "calibration_feeds", "calibration_text"]

MAX_LENGTH = 512  # calibration samples are truncated to this, or to the model's limit when lower
_CHECK_CHUNK = 1024  # lines encoded at a time when counting the calibration text's unknown tokens
_SEED_SALT = 7_201_311  # keeps the calibration draws apart from evaluate's sample_rng(seed, i) streams


@dataclass(frozen=True)
class Calibration:
    """The feeds (one per sample, each with ``masked_positions``) and what they were made from."""

    feeds: list[dict[str, np.ndarray]]
    source: str
    n_lines: int  # non-empty lines in the text
    n_masked: int  # masked positions over all feeds

    def describe(self, method: str) -> dict[str, Any]:
        return {"source": self.source, "lines": self.n_lines, "samples": len(self.feeds),
                "masked_tokens": self.n_masked, "method": method}


@dataclass(frozen=True)
class CalibrationText:
    """The calibration text's non-empty lines, its name in reports, and the tokenizer that encodes it."""

    texts: list[str]
    name: str
    tokenizer: Tokenizer
    samples: int  # lines to draw


def calibration_text(source: str | Path | None, model_dir: Path, *, samples: int) -> CalibrationText:
    """Read and check the calibration text (None: the bundled text) and load the tokenizer beside the model.

    Called before any work is done, so that a bad file or option fails at once with one line.

    Raises:
        FillMaskError: a missing, unreadable or empty file, no tokenizer in ``model_dir``, a bad ``samples``.
    """
    check_count("calibration_samples", samples, hint="lines of calibration text")
    path = default_text_path() if source is None else source
    fix = "pass a UTF-8 text file with one calibration sample per line"
    path = check_input_file(path, what="calibration file", fix=fix)
    texts = [text for _, text in iter_texts(path) if text.strip()]
    if not texts:
        raise FillMaskError(f"calibration file {str(path)!r} has no non-empty line; {fix}")
    try:
        tok = Tokenizer.from_dir(model_dir)
    except FillMaskError as exc:
        raise FillMaskError(f"static int8 encodes its calibration text with the model's tokenizer, and none loads "
                            f"from {str(model_dir)!r} ({first_line(exc)}); use dynamic int8 instead") from exc
    _check_readable(tok, texts, str(path))
    return CalibrationText(texts=texts, name=str(path), tokenizer=tok, samples=samples)


def _check_readable(tok: Tokenizer, texts: list[str], name: str) -> None:
    """Refuse a calibration text whose tokens are more than ``config.UNK_SHARE_LIMIT`` the tokenizer's unknown one."""
    counts = {"unk_tokens": 0, "text_tokens": 0}
    for start in range(0, len(texts), _CHECK_CHUNK):  # a chunk at a time: a large file's rows never all in memory
        unknown, text = count_unknown(tok, tok.encode_rows(texts[start:start + _CHECK_CHUNK], max_length=MAX_LENGTH))
        counts["unk_tokens"] += unknown
        counts["text_tokens"] += text
    problem = too_many_unknown(counts)
    if problem is not None:
        raise FillMaskError(f"calibration file {name!r}: {problem}; the int8 scales would be set from [UNK]: pass "
                            f"--calibration FILE (calibration=) with text the model reads")


def calibration_feeds(model: OnnxMaskedLM, text: CalibrationText, *, seed: int) -> Calibration:
    """Feeds for ``quantize_static`` from a seeded sample of ``text.samples`` lines of the calibration text.

    Args:
        model: the float32 rewritten model (it has the ``masked_positions`` input); its inputs decide the feeds.
        text: the calibration text and tokenizer (``calibration_text``).
        seed: seeds the draw (without replacement, kept in file order) and every sample's mask.
    Raises:
        FillMaskError: no sample got a masked token.
    """
    texts, name, tok, samples = text.texts, text.name, text.tokenizer, text.samples
    rng = np.random.default_rng([seed, _SEED_SALT])
    picked = np.sort(rng.choice(len(texts), size=min(samples, len(texts)), replace=False))
    max_length = min(MAX_LENGTH, model.max_length or MAX_LENGTH)
    rows = tok.encode_rows([texts[i] for i in picked], max_length=max_length)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    padding_idx = config_int(model.config, "pad_token_id")
    feeds, n_masked = [], 0
    for k, row in enumerate(rows):
        masked, labels = mask_tokens(row.ids[None, :], special_tokens_mask=row.special_tokens_mask[None, :],
                                     mask_token_id=tok.mask_token_id, vocab_size=len(tok),
                                     rng=np.random.default_rng([seed, _SEED_SALT, k]))  # [1, L] each
        positions = np.argwhere(labels != -100)  # [M, 2] (0, position)
        if not len(positions):
            continue  # nothing drawn (or only special tokens): evaluation would not run it either
        arrays = {"input_ids": masked, "attention_mask": np.ones_like(masked), "token_type_ids": row.type_ids[None, :]}
        feed = build_feed(model.inputs, arrays, 0, 1, masked.shape[1], rows=None, pad_token_id=pad,
                          position_ids=model.position_ids, padding_idx=pad if padding_idx is None else padding_idx)
        feed[POSITIONS_INPUT] = np.ascontiguousarray(positions, dtype=np.int64)
        feeds.append(feed)
        n_masked += len(positions)
    if not feeds:
        raise FillMaskError(f"no line of the calibration file {name!r} got a masked token (lines of special "
                            f"tokens only?); pass a file of ordinary text")
    return Calibration(feeds=feeds, source=name, n_lines=len(texts), n_masked=n_masked)
