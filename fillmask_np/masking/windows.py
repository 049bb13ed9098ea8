"""Inputs longer than the model: ``long="window"`` cuts a sample's tokens into overlapping windows.

The tokens without the template's special tokens (n of them) are cut into windows of W = the model's length
(``max_length``) minus its special tokens, starting at 0, S, 2S, ... (S = ``stride``) and one last window ending
at the last token. Each token is scored once, in the window where its distance to the nearer window edge is
largest (ties: the earlier window), with the usual special tokens around the window. A sample of at most W
tokens is one window: exactly ``long="truncate"`` without truncation.

A ``Window`` is an index array into the whole encoded row (``take``: window position -> row position,
specials included) and the window positions it scores (``owned``), so any per-token array of the row (ids,
type ids, masked ids, labels, word ids) is cut by ``array[window.take]``. Callers: pseudo-log-likelihood,
``evaluate`` (masks drawn once over the whole sample, each masked token scored in its window), ``variants``
and ``pairs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..errors import FillMaskError
from ..limits import check_count, option_label

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["LONG_MODES", "Window", "Windowing", "check_long", "owner_windows", "window_starts", "windowing"]

LONG_MODES = ("truncate", "window")


class Window(NamedTuple):
    """One window of an encoded row: [Lw] row positions (specials included) and [Lw] the positions it scores."""

    take: np.ndarray  # [Lw] int64: row position of each window position
    owned: np.ndarray  # [Lw] bool: a content token this window scores (never a template special)


def window_starts(n_tokens: int, width: int, stride: int) -> np.ndarray:
    """[K] int64 first token of each window of ``n_tokens`` tokens: 0, S, 2S, ... and one ending at the last token.

    >>> window_starts(10, 4, 3).tolist(), window_starts(10, 4, 4).tolist(), window_starts(3, 4, 2).tolist()
    ([0, 3, 6], [0, 4, 6], [0])
    """
    if n_tokens <= width:
        return np.zeros(1, dtype=np.int64)
    last = n_tokens - width
    return np.append(np.arange(0, last, stride, dtype=np.int64), last)  # [K]


def owner_windows(n_tokens: int, width: int, starts: np.ndarray) -> np.ndarray:
    """[n] int64 the window that scores each token: the one where its distance to the nearer edge is largest
    (ties: the earlier window).

    The distance ``min(t - s, s + W - 1 - t)`` is concave in the start s (negative outside the window), so the
    best window is one of the two whose starts surround ``t - (W - 1) / 2``.

    >>> owner_windows(10, 4, np.array([0, 3, 6])).tolist()
    [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    """
    tokens = np.arange(n_tokens, dtype=np.int64)  # [n]
    after = np.searchsorted(2 * starts, 2 * tokens - (width - 1), side="left")  # [n] first start >= the centre
    later = np.minimum(after, len(starts) - 1)  # [n]
    earlier = np.maximum(after - 1, 0)  # [n]

    def distance(k: np.ndarray) -> np.ndarray:
        s = starts[k]  # [n]
        return np.minimum(tokens - s, s + width - 1 - tokens)

    return np.where(distance(earlier) >= distance(later), earlier, later)  # [n]


def check_long(long: str, stride: object, *, flags: bool | None = None) -> int | None:
    """Check ``long`` and ``stride`` before any work; the stride (None: the default) when ``long="window"``.

    ``flags``: messages name ``--long``/``--stride`` (None: as ``limits.naming_flags`` says).

    >>> check_long("window", 4), check_long("truncate", None)
    (4, None)
    """
    if long not in LONG_MODES:
        raise FillMaskError(f"{option_label('long', long, flags=flags)} is not one of {', '.join(map(repr, LONG_MODES))}"
                            f": 'truncate' scores a sample's first tokens only, 'window' every token in "
                            f"overlapping windows")
    if long == "truncate":
        if stride is not None:
            raise FillMaskError(f"{option_label('stride', stride, flags=flags)} steps the windows of "
                                f"{option_label('long', 'window', flags=flags)}; add it, or drop the stride")
        return None
    return check_count("stride", stride, flags=flags, allow_none=True,
                       hint="tokens between window starts; at most the window's length")


@dataclass(frozen=True)
class Windowing:
    """How ``long="window"`` cuts rows: W content tokens per window, the stride, the template's specials."""

    width: int  # W: content tokens of a window
    stride: int  # S: tokens between window starts, 1..W
    prefix: int  # template specials before the text ([CLS], <s>, <cls>)
    suffix: int  # template specials after it ([SEP], </s>, <eos>)

    @property
    def max_length(self) -> int:
        """The length of a full window, specials included: the model's length."""
        return self.width + self.prefix + self.suffix

    def windows(self, length: int) -> list[Window]:
        """The windows of an encoded row of ``length`` tokens (the template's specials at both ends).

        >>> [w.take.tolist() for w in Windowing(3, 2, 1, 1).windows(7)]
        [[0, 1, 2, 3, 6], [0, 3, 4, 5, 6]]
        """
        n = length - self.prefix - self.suffix
        starts = window_starts(n, self.width, self.stride)  # [K]
        owner = owner_windows(n, self.width, starts)  # [n]
        head = np.arange(self.prefix, dtype=np.int64)  # [p]
        tail = np.arange(length - self.suffix, length, dtype=np.int64)  # [q]
        out = []
        for k, start in enumerate(starts.tolist()):
            content = np.arange(start, min(start + self.width, n), dtype=np.int64)  # [w]
            take = np.concatenate([head, content + self.prefix, tail])  # [Lw]
            owned = np.concatenate([np.zeros(self.prefix, bool), owner[content] == k, np.zeros(self.suffix, bool)])
            out.append(Window(take, owned))
        return out


def windowing(tokenizer: Tokenizer, max_length: int, stride: int | None, *, flags: bool | None = None) -> Windowing:
    """The ``Windowing`` of a model of ``max_length`` tokens: W = ``max_length`` minus the template's specials.

    Args:
        tokenizer: adds the specials around each window (its single-sequence template).
        max_length: the resolved length of the model (``runtime.check_max_length``).
        stride: from ``check_long``; None takes W // 2 (each token at least W / 4 from a window edge).
        flags: messages name ``--stride`` (None: as ``limits.naming_flags`` says).
    Returns:
        a ``Windowing``; a ``FillMaskError`` naming the stride when it is above W.
    """
    special = tokenizer.encode_rows(["a"], special_tokens="template")[0].special_tokens_mask  # [L]
    prefix = int(np.argmin(special)) if not special.all() else int(special.sum())
    suffix = int(special.sum()) - prefix
    width = int(max_length) - prefix - suffix
    if width < 1:
        raise FillMaskError(f"{option_label('max_length', max_length, flags=flags)} leaves no token of text between "
                            f"the {prefix + suffix} special tokens of a window; use a larger max length")
    if stride is None:
        return Windowing(width, max(1, width // 2), prefix, suffix)
    if not 1 <= stride <= width:
        raise FillMaskError(f"{option_label('stride', stride, flags=flags)} must be from 1 to the window's {width} "
                            f"tokens of text (max_length {max_length} minus {prefix + suffix} special tokens): a "
                            f"larger stride would skip tokens")
    return Windowing(width, int(stride), prefix, suffix)
