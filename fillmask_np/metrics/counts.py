"""A run's corpus counts, listed once: the keys each kind of totals keeps, the keys its report shows, and the
share of the text's tokens that the tokenizer could not read (with the warning when it is too high).

The totals (``Totals``, ``PLLTotals``) start from ``new_counts``; the reading and masking stages fill them by
name; reports, tables, provenance records, partial files and merges take their keys from here.
``unk_tokens`` counts the tokenizer's unknown token ([UNK], <unk>) in the encoded text, ``text_tokens``
every token that is no special token other than it (what the share is of).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Mapping, Sequence

from ..config import UNK_SHARE_LIMIT
from ..errors import UnknownTokensWarning

__all__ = ["EVAL_COUNT_KEYS", "EVAL_REPORT_COUNTS", "PLL_COUNT_KEYS", "PLL_REPORT_COUNTS", "UNKNOWN_HINT",
           "new_counts", "too_many_unknown", "unknown_share", "unknown_summary", "warn_unknown"]

# an evaluation's (and each side of a comparison's) counts, kept while the corpus is read and masked: samples read,
# their real tokens (specials included), empty samples skipped, samples with nothing maskable, samples in which the
# seed drew no mask, samples cut to max_length, unknown tokens, text tokens
EVAL_COUNT_KEYS = ("n_samples", "n_tokens", "n_empty", "n_unmaskable", "n_no_mask_drawn", "n_truncated",
                   "unk_tokens", "text_tokens")
# a pseudo-log-likelihood run's counts (n_unscorable: samples of special tokens only)
PLL_COUNT_KEYS = ("n_samples", "n_tokens", "n_empty", "n_unscorable", "n_truncated", "unk_tokens", "text_tokens")
# the counts a report shows (its own fields; tables, JSON provenance): the kept counts and the scored ones
EVAL_REPORT_COUNTS = ("n_samples", "n_scored_samples", "n_masked", *EVAL_COUNT_KEYS[1:])
PLL_REPORT_COUNTS = ("n_samples", "n_scored_samples", "n_scored_tokens", *PLL_COUNT_KEYS[1:])

UNKNOWN_HINT = ("the tokenizer does not know this text: is it in the model's language and alphabet? (a protein "
                "model reads residues as one-letter codes, upper case, spaced for a word-level tokenizer: "
                "'M K T A')")


def new_counts(keys: Sequence[str] = EVAL_COUNT_KEYS) -> dict[str, int]:
    """A zeroed count for each of ``keys`` (an evaluation's by default).

    >>> new_counts(PLL_COUNT_KEYS)["unk_tokens"]
    0
    """
    return dict.fromkeys(keys, 0)


def unknown_share(counts: Mapping[str, int]) -> float:
    """The share of the text's tokens that are the unknown token (0.0 when no text token was read).

    >>> unknown_share({"unk_tokens": 6, "text_tokens": 8})
    0.75
    """
    text = int(counts["text_tokens"])
    return int(counts["unk_tokens"]) / text if text else 0.0


def unknown_summary(counts: Mapping[str, int]) -> str:
    """``"6 of 8 text tokens (75.0 %)"``: the unknown tokens as a table's "unknown tokens" row says them.

    >>> unknown_summary({"unk_tokens": 6, "text_tokens": 8})
    '6 of 8 text tokens (75.0 %)'
    """
    return (f"{int(counts['unk_tokens'])} of {int(counts['text_tokens'])} text tokens "
            f"({100 * unknown_share(counts):.1f} %)")


def too_many_unknown(counts: Mapping[str, int]) -> str | None:
    """What is wrong when more than ``UNK_SHARE_LIMIT`` of the text's tokens are unknown (share and hint); else None.

    >>> too_many_unknown({"unk_tokens": 1, "text_tokens": 20}) is None
    True
    """
    if unknown_share(counts) <= UNK_SHARE_LIMIT:
        return None
    return (f"{unknown_summary(counts)} are the tokenizer's unknown token, above {100 * UNK_SHARE_LIMIT:g} %: "
            f"{UNKNOWN_HINT}")


def warn_unknown(counts: Mapping[str, int]) -> bool:
    """Warn (``UnknownTokensWarning``) when more than ``UNK_SHARE_LIMIT`` of the text's tokens are unknown.

    Args:
        counts: a run's counts, with ``unk_tokens`` and ``text_tokens``.
    Returns:
        whether it warned.
    """
    message = too_many_unknown(counts)
    if message is not None:
        warnings.warn(f"{message}; the model reads the unknown token in place of that text", UnknownTokensWarning,
                      stacklevel=_caller_level())
    return message is not None


_PACKAGE = str(Path(__file__).resolve().parents[1])  # fillmask_np/


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside fillmask_np: the warning names the user's call (and Python's
    once-per-place filter counts each of the user's calls, not one place in the library)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
