"""A mask manifest's validation: the header's keys and types, the arrays' shapes, values and masking.

Besides shapes and ranges, the masked positions must look like the recorded masking drew them: each holds
the mask token, a random token or its label, in shares the recorded probabilities allow (a manifest whose
masked positions show their labels would replay as a much lower cross-entropy).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..config import SETTING_KEYS, MaskingConfig
from ..errors import FillMaskError, MaskingError
from ..limits import is_int
from .collator import IGNORE_INDEX

__all__ = ["FORMAT", "HEADER_KEYS", "ARRAY_KEYS", "parse_header", "check_arrays", "check_masked_ids"]

FORMAT = "fillmask_np.masks/1"
HEADER_KEYS = frozenset(("format", "tokenizer_sha256", "data_sha256", "mask_token_id", "pad_token_id", "vocab_size",
                         "n_samples", "n_rows", *SETTING_KEYS))
ARRAY_KEYS = ("sample_index", "input_ids", "attention_mask", "labels")
_INT_KEYS = ("seed", "max_length", "batch_size", "mask_token_id", "pad_token_id", "vocab_size", "n_samples", "n_rows")
_SIGMAS = 6.0  # a share this many standard deviations above what the masking allows is refused


def parse_header(array: np.ndarray, name: str) -> dict[str, Any]:
    if array.ndim != 0 or array.dtype.kind != "U":
        raise MaskingError(f"masks file {name!r}: header is a {array.dtype} array of shape {array.shape}, not a 0-d "
                           f"string holding JSON; write the file with save_masks")
    try:
        header = json.loads(str(array))
    except ValueError as exc:
        raise MaskingError(f"masks file {name!r}: header is not JSON ({exc}); write the file with save_masks") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise MaskingError(f"masks file {name!r} has format {found!r}, not {FORMAT!r}; write it with this version's "
                           f"save_masks")
    missing = sorted(HEADER_KEYS - set(header))
    if missing:
        raise MaskingError(f"masks file {name!r}: header lacks {missing}; write the file with save_masks")
    for key in _INT_KEYS:
        value = header[key]
        if not is_int(value) or value < 0:
            raise MaskingError(f"masks file {name!r}: header {key}={value!r} is not a non-negative integer")
    try:
        MaskingConfig.from_header(header)
    except FillMaskError as exc:
        raise MaskingError(f"masks file {name!r}: its masking settings are invalid ({exc}); write the file with "
                           f"save_masks") from exc
    return header


def check_arrays(header: dict[str, Any], arrays: dict[str, np.ndarray], name: str) -> None:
    """Shapes, dtypes and values of the arrays, against each other and the header."""
    index, ids, attention, labels = (np.asarray(arrays[k]) for k in ARRAY_KEYS)
    for key, value in arrays.items():
        if not np.issubdtype(np.asarray(value).dtype, np.integer):
            raise MaskingError(f"masks file {name!r}: {key} has dtype {np.asarray(value).dtype}, not int64")
    n_rows = header["n_rows"]
    if index.shape != (n_rows,) or ids.ndim != 2 or not (ids.shape == attention.shape == labels.shape == (n_rows,
                                                                                                            ids.shape[1])):
        raise MaskingError(f"masks file {name!r}: shapes sample_index {index.shape}, input_ids {ids.shape}, "
                           f"attention_mask {attention.shape}, labels {labels.shape} do not fit n_rows={n_rows!r} "
                           f"([N] and three [N, L])")
    if n_rows and (np.any(np.diff(index) <= 0) or index[0] < 0):
        raise MaskingError(f"masks file {name!r}: sample_index must be ascending, distinct and non-negative")
    real = attention == 1
    if not np.all(real | (attention == 0)) or np.any(np.diff(attention, axis=1) > 0):
        raise MaskingError(f"masks file {name!r}: attention_mask must be 1 on a row's tokens then 0 (right padding)")
    scored = labels != IGNORE_INDEX
    bad = scored & (~real | (labels < 0) | (labels >= header["vocab_size"]))
    if np.any(bad):
        r, p = (int(v) for v in np.argwhere(bad)[0])
        raise MaskingError(f"masks file {name!r}: labels[{r}, {p}] = {int(labels[r, p])} is not -100 nor a token id "
                           f"of a real position (vocab_size {header['vocab_size']})")
    if n_rows and not np.all(scored.any(axis=1)):
        raise MaskingError(f"masks file {name!r}: row {int(np.flatnonzero(~scored.any(axis=1))[0])} scores no token; "
                           f"rows without a masked token are left out of a manifest")
    check_masked_ids(header, ids, labels, real, name)


def check_masked_ids(header: dict[str, Any], ids: np.ndarray, labels: np.ndarray, real: np.ndarray,
                     name: str) -> None:
    """Refuse ids outside the vocabulary, and masked positions that the recorded masking could not have drawn.

    At a masked position the id is the mask token (share ``mask_replace_prob``), a random token
    (``random_replace_prob``, uniform over the vocabulary) or the label itself (the rest). A category
    more frequent than its share allows (by ``_SIGMAS`` binomial standard deviations; never when the share
    is 0) is refused.

    Args:
        header: the manifest header (``vocab_size``, ``mask_token_id``, the probabilities).
        ids: [N, L] masked input ids; labels: [N, L] (-100 where unscored); real: [N, L] bool, not padding.
        name: the file, for messages.
    """
    vocab = header["vocab_size"]
    outside = real & ((ids < 0) | (ids >= vocab))
    if np.any(outside):
        r, p = (int(v) for v in np.argwhere(outside)[0])
        raise MaskingError(f"masks file {name!r}: input_ids[{r}, {p}] = {int(ids[r, p])} is not a token id "
                           f"(vocab_size {vocab}); the file is corrupt: write it again with save_masks")
    scored = labels != IGNORE_INDEX
    n = int(np.count_nonzero(scored))
    if n == 0:
        return
    at, label = ids[scored], labels[scored]  # [n]
    p_mask, p_random = float(header["mask_replace_prob"]), float(header["random_replace_prob"])
    is_mask = at == header["mask_token_id"]
    shares = {"the mask token": (int(np.count_nonzero(is_mask)), p_mask + p_random / vocab),
              "their label (kept)": (int(np.count_nonzero(~is_mask & (at == label))),
                                     max(0.0, 1.0 - p_mask - p_random) + p_random / vocab),
              "another token (random)": (int(np.count_nonzero(~is_mask & (at != label))), p_random)}
    for what, (count, share) in shares.items():
        bound = 0.0 if share <= 0 else n * share + _SIGMAS * math.sqrt(n * share * (1 - share)) + 1
        if count > bound:
            raise MaskingError(f"masks file {name!r}: {count} of its {n} masked positions hold {what}, more than "
                               f"mask_replace_prob={p_mask!r} / random_replace_prob={p_random!r} allow; the masked "
                               f"input_ids do not fit the labels: write the file again with save_masks")
