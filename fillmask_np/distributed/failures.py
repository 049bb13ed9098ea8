"""A failed distributed run as one line: the worker's own error (a ``FillMaskError`` raised in an actor, or the
last error line of the worker's traceback) instead of Ray's nested traceback."""

from __future__ import annotations

import re

from .. import errors
from ..errors import FillMaskError, ModelError, first_line

__all__ = ["worker_failure", "worker_error_line"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): (\S.*)$", re.M)
_DIED = {"ActorDiedError", "ActorUnavailableError", "RayActorError", "WorkerCrashedError", "NodeDiedError"}


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: ``__cause__`` / ``__context__`` and Ray's ``cause`` (a RayTaskError's)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        wrapped = [current.__cause__, current.__context__, vars(current).get("cause")]
        todo += [w for w in wrapped if isinstance(w, BaseException)]
    return seen


def worker_error_line(text: str) -> tuple[str, str] | None:
    """The last ``module.Error: message`` line of a traceback's text, as (error's name, message), or None.

    Args:
        text: a Ray error's text (the worker's traceback, ANSI colours allowed).
    Returns:
        the error's qualified name and message, or None when no line looks like one.

    >>> worker_error_line("Traceback ...\\nfillmask_np.errors.ModelError: cannot load 'm.onnx'")
    ('fillmask_np.errors.ModelError', "cannot load 'm.onnx'")
    """
    found = _ERROR_LINE.findall(_ANSI.sub("", text))
    return (found[-1][0], found[-1][1].strip()) if found else None


def worker_failure(exc: BaseException, *, model: str, block: str | None = None, tries: int = 1) -> FillMaskError:
    """The one-line error to raise on the driver for a Ray run that failed with ``exc``.

    Args:
        exc: what Ray raised (a ``RayTaskError``, ``ActorDiedError``, ``UserCodeException``, ...).
        model: the model's path, named in the message.
        block: the block that failed, as the message names it (``"items 11-20 of the run"``), or None.
        tries: how many times the block ran before Ray gave up on it (its process died each time).
    Returns:
        the worker's ``FillMaskError`` class (a ``ModelError`` when the worker's error was not one of ours) with a
        one-line message naming the model and the worker's error.
    """
    prefix = f"a Ray worker scoring with model {model!r} failed"
    chain = _chain(exc)
    for e in chain:  # one of ours, raised as is (not a Ray wrapper of it)
        if isinstance(e, FillMaskError) and type(e).__module__ == errors.__name__:
            return type(e)(f"{prefix}: {first_line(e)}")
    lines = [line for line in (worker_error_line(str(e)) for e in chain) if line is not None]
    for name, message in lines:
        kind = vars(errors).get(name.rpartition(".")[2]) if name.startswith(errors.__name__ + ".") else None
        if isinstance(kind, type) and issubclass(kind, FillMaskError):
            return kind(f"{prefix}: {message[:300]}")
    if {type(e).__name__ for e in chain} & _DIED and not lines:
        what = "its process died" if block is None else f"the process scoring {block} died {tries} times"
        return ModelError(f"{prefix}: {what} (out of memory, a crash, or killed); see logs/worker-*.err in the "
                          f"Ray session directory, and score those items alone to find the cause")
    name, message = lines[0] if lines else (type(chain[-1]).__name__, first_line(chain[-1], 200))
    return ModelError(f"{prefix}: {name.rpartition('.')[2]}: {message[:300]}; see logs/worker-*.err in the Ray "
                      f"session directory")
