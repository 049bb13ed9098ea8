"""Command-line values checked before any work, in the flags' own words: every count option against its bounds
(``limits.COUNT_BOUNDS``), and ``--shard`` with a value that starts with ``-``."""

from __future__ import annotations

import argparse
import re
from typing import Sequence

from ..config import replacement_shares, validate_probabilities
from ..limits import COUNT_BOUNDS, check_count

__all__ = ["check_counts", "attach_dashed_shard"]

_DASHED_NUMBER = re.compile(r"-\d")


def check_counts(args: argparse.Namespace) -> None:
    """Refuse a count option outside its bounds, a bad ``--shard`` or masking probabilities that do not make sense,
    naming the flag (``--limit 0``), before any work.

    Args:
        args: the parsed command line; every integer option's dest is its keyword in ``COUNT_BOUNDS``.
    """
    from ..text import check_shard

    for name, value in vars(args).items():
        if name in COUNT_BOUNDS and value is not None:
            check_count(name, value, flags=True)
    check_shard(getattr(args, "shard", None), flags=True)
    shares = [getattr(args, key, None) for key in ("mlm_probability", "mask_replace_prob", "random_replace_prob")]
    if any(share is not None for share in shares):  # unset ones at their defaults, as MaskingConfig takes them
        mask_p, random_p = replacement_shares(bool(args.whole_word), shares[1], shares[2], flags=True)
        validate_probabilities(0.15 if shares[0] is None else shares[0], mask_p, random_p, flags=True)


def attach_dashed_shard(argv: Sequence[str]) -> list[str]:
    """``--shard -1/2`` as ``--shard=-1/2``, so that the shard check says what is wrong with it (argparse takes a
    value starting with ``-`` for an option, and says only "expected one argument").

    Args:
        argv: the command line's arguments.
    Returns:
        the same arguments, ``--shard`` joined to a following value that starts with ``-`` and a digit.

    >>> attach_dashed_shard(["eval", "--shard", "-1/2"])
    ['eval', '--shard=-1/2']
    """
    out: list[str] = []
    items = list(argv)
    k = 0
    while k < len(items):
        if items[k] == "--shard" and k + 1 < len(items) and _DASHED_NUMBER.match(items[k + 1]):
            out.append(f"--shard={items[k + 1]}")
            k += 2
            continue
        out.append(items[k])
        k += 1
    return out
