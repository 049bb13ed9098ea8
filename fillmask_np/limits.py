"""Every integer option, checked one way: ``check_count`` (an integer, never a bool, between its bounds).

``COUNT_BOUNDS`` holds each option's least and largest value, by its API keyword and, where the flag's name
differs, by the command line's (``--batch-tokens`` is ``token_budget=``). The upper bounds are far above
any real run and stop the values that would run for hours or exhaust memory (``--bootstrap 1000000000``).
The CLI checks its arguments with the flag's name (``--limit 0``), the API with the keyword's (``limit=0``):
``option_label`` and ``option_name`` name the flag when told to (``flags=True``) or, by default, inside
``naming_flags()`` (the CLI runs every command in it), so that one message serves both.
A leaf module: it imports nothing of the package but ``errors``, and no numpy.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
from typing import Any, Iterator, Literal, TypeGuard, overload

from .errors import FillMaskError

__all__ = ["COUNT_BOUNDS", "MAX_SEED", "check_count", "is_int", "option_label", "option_name", "naming_flags"]

MAX_SEED = 2**63 - 1  # fits the int64 a mask manifest stores it in
_HUGE = 10**9  # samples, tokens or ids: more than any corpus or vocabulary this library reads at once

COUNT_BOUNDS: dict[str, tuple[int, int]] = {  # option -> (least, largest) allowed value
    "seed": (0, MAX_SEED),
    "bootstrap_seed": (0, MAX_SEED),
    "limit": (1, 10**12),
    "batch_size": (1, 1_000_000),
    "max_length": (1, 1_000_000),
    "threads": (1, 1_000_000),  # capped at the CPU count with a warning
    "workers": (1, 4096),
    "cpus_per_worker": (1, 4096),
    "bootstrap": (0, 100_000),
    "worst": (0, 1_000_000),
    "top_k": (1, _HUGE),
    "history_top_k": (0, _HUGE),
    "steps": (1, 1_000_000),
    "max_steps": (1, 1_000_000),
    "num_samples": (1, 100_000),
    "new_tokens": (1, 1_000_000),
    "length": (1, 1_000_000),
    "token_budget": (1, _HUGE),
    "batch_tokens": (1, _HUGE),
    "logits_budget": (1, 2**62),  # a cap on what a pass holds, not an allocation
    "block_samples": (1, _HUGE),
    "block_pairs": (1, _HUGE),
    "block_mutations": (1, _HUGE),
    "max_in_flight": (1, 1_000_000),  # blocks a distributed run's driver has out at once
    "samples": (0, 100_000),  # samples an HTML page shows
    "calibration_samples": (1, 1_000_000),
    "shards": (1, 1_000_000),
    "stride": (1, 1_000_000),  # long="window": tokens between window starts (at most the window, checked after)
}


def is_int(value: Any) -> TypeGuard[int]:
    """True for an integer (Python or numpy), False for a bool, a float or anything else.

    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


_FLAG_OF = {"token_budget": "batch_tokens"}  # keywords whose flag has another name
_NAMING_FLAGS: contextvars.ContextVar[bool] = contextvars.ContextVar("fillmask_np_naming_flags", default=False)


@contextlib.contextmanager
def naming_flags() -> Iterator[None]:
    """Messages built in the block name command-line flags (``--top-p 1.5``), not keywords (``top_p=1.5``).

    Returns:
        a context manager.

    >>> with naming_flags():
    ...     option_label("top_p", 1.5)
    '--top-p 1.5'
    """
    token = _NAMING_FLAGS.set(True)
    try:
        yield
    finally:
        _NAMING_FLAGS.reset(token)


def option_name(name: str, *, flags: bool | None = None) -> str:
    """How a message names an option: ``top_p`` (the API's keyword) or ``--top-p`` (the CLI's flag).

    Args:
        name: the keyword.
        flags: name the flag; None: as ``naming_flags()`` says (off outside it).
    Returns:
        the keyword or the flag.

    >>> option_name("top_p"), option_name("top_p", flags=True), option_name("token_budget", flags=True)
    ('top_p', '--top-p', '--batch-tokens')
    """
    named_flags = _NAMING_FLAGS.get() if flags is None else flags
    return f"--{_FLAG_OF.get(name, name).replace('_', '-')}" if named_flags else name


def option_label(name: str, value: Any, *, flags: bool | None = None, raw: bool = False) -> str:
    """How a message names an option's value: ``limit=0`` (the API's keyword) or ``--limit 0`` (the CLI's flag).

    Args:
        name: the keyword.
        value: its value, shown as its repr.
        flags: name the flag; None: as ``naming_flags()`` says (off outside it).
        raw: show ``str(value)``, not its repr (a placeholder: ``new_tokens=N``).
    Returns:
        ``name=value`` or ``--name value``.

    >>> option_label("max_length", 0), option_label("max_length", 0, flags=True)
    ('max_length=0', '--max-length 0')
    >>> option_label("new_tokens", "N", raw=True), option_label("new_tokens", "N", flags=True, raw=True)
    ('new_tokens=N', '--new-tokens N')
    """
    named_flags = _NAMING_FLAGS.get() if flags is None else flags
    shown = str(value) if raw else repr(value)
    return f"{option_name(name, flags=True)} {shown}" if named_flags else f"{name}={shown}"


@overload
def check_count(name: str, value: Any, *, flags: bool | None = ..., allow_none: Literal[False] = ..., hint: str = "",
                error: type[FillMaskError] = ...) -> int: ...


@overload
def check_count(name: str, value: Any, *, flags: bool | None = ..., allow_none: bool = ..., hint: str = "",
                error: type[FillMaskError] = ...) -> int | None: ...


def check_count(name: str, value: Any, *, flags: bool | None = None, allow_none: bool = False, hint: str = "",
                error: type[FillMaskError] = FillMaskError) -> int | None:
    """``value`` as an int, or ``error`` naming the option, the value and its bounds (``COUNT_BOUNDS[name]``).

    Args:
        name: the option's keyword (a key of ``COUNT_BOUNDS``).
        value: what was given.
        flags: the value came from the command line: messages name its flag (``--limit 0``), not the keyword;
            None: as ``naming_flags()`` says.
        allow_none: None is allowed (and returned): the option's default.
        hint: what the value means, in brackets after the message (e.g. "0 skips the interval", "or None for
            the model's limit").
        error: the ``FillMaskError`` subclass to raise.
    Returns:
        ``int(value)``, or None when allowed and given.

    >>> check_count("limit", 5), check_count("limit", None, allow_none=True)
    (5, None)
    >>> check_count("limit", 2.5)
    Traceback (most recent call last):
    ...
    fillmask_np.errors.FillMaskError: limit=2.5 must be an integer from 1 to 1000000000000, not a float
    """
    if value is None and allow_none:
        return None
    least, largest = COUNT_BOUNDS[name]
    flags = _NAMING_FLAGS.get() if flags is None else flags
    label = option_label(name, value, flags=flags)
    span = f"from {least} to {largest}"
    tail = f" ({hint})" if hint else " (or None)" if allow_none and not flags else ""
    if not is_int(value):
        raise error(f"{label} must be an integer {span}, not a {type(value).__name__}{tail}")
    if not least <= value <= largest:
        raise error(f"{label} must be an integer {span}{tail}")
    return int(value)
