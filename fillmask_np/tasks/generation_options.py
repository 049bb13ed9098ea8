"""``generate``'s settings, checked once before any work (one-line ``FillMaskError``s), and how each row
(prompt, sample) gets its random numbers."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from ..errors import FillMaskError
from ..limits import check_count, option_label, option_name
from .sampling import Sampler, check_rng, check_sampling
from .schedules import Schedule, check_schedule
from .unmasking import UNMASK_ORDERS

__all__ = ["GenerateOptions", "check_options", "prompt_texts"]

_ALL = sys.maxsize  # top_k None when sampling: every candidate


@dataclass(frozen=True)
class GenerateOptions:
    """``generate``'s keyword settings as given; ``check_options`` returns a checked copy."""

    steps: int | None
    schedule: Schedule
    unmask: str
    sample: bool | None
    temperature: float | None
    top_k: int | None
    top_p: float | None
    seed: int | None
    rng: np.random.Generator | None
    num_samples: int
    exclude_special: bool
    max_steps: int | None
    history_top_k: int
    batch_size: int
    new_tokens: int | None
    length: int | None
    targets: Any
    sampler_settings: tuple[float, int, float] | None = None  # (temperature, top_k, top_p) when sampling

    def randomness(self, prompt: int, sample: int) -> tuple[Sampler | None, np.random.Generator | None]:
        """The row's ``Sampler`` (None: argmax) and Generator (None: nothing random)."""
        if self.rng is not None:
            rng: np.random.Generator | None = self.rng
        elif self.seed is not None:
            rng = np.random.default_rng([self.seed, prompt, sample])
        else:
            rng = None
        if self.sampler_settings is None or rng is None:
            return None, rng
        temperature, top_k, top_p = self.sampler_settings
        return Sampler(rng, temperature=temperature, top_k=top_k, top_p=top_p), rng

    def settings(self) -> dict[str, Any]:
        """JSON-ready settings, as reports and the history header record them."""
        schedule = self.schedule if isinstance(self.schedule, str) else list(self.schedule)
        targets = [self.targets] if isinstance(self.targets, str) else self.targets
        return {"steps": self.steps, "schedule": schedule, "unmask": self.unmask,
                "sample": self.sampler_settings is not None, "temperature": self.temperature, "top_k": self.top_k,
                "top_p": self.top_p, "seed": self.seed, "rng": None if self.rng is None else "<Generator>",
                "num_samples": self.num_samples, "targets": None if targets is None else list(targets),
                "exclude_special": self.exclude_special, "max_steps": self.max_steps,
                "history_top_k": self.history_top_k, "batch_size": self.batch_size, "new_tokens": self.new_tokens,
                "length": self.length}


def check_options(o: GenerateOptions) -> GenerateOptions:
    """``o`` checked: each bad setting is one ``FillMaskError`` naming it; sampling settings resolved."""
    schedule, steps = check_schedule(o.schedule, o.steps)
    if o.unmask not in UNMASK_ORDERS:
        raise FillMaskError(f"unmask={o.unmask!r} is not one of {list(UNMASK_ORDERS)}")
    for name in ("num_samples", "batch_size"):
        check_count(name, getattr(o, name))
    check_count("max_steps", o.max_steps, allow_none=True)
    check_count("history_top_k", o.history_top_k, hint="candidates recorded per step; 0: none")
    if o.sample not in (None, True, False):
        raise FillMaskError(f"sample={o.sample!r} must be True, False or None")
    warpers = {"temperature": o.temperature, "top_k": o.top_k, "top_p": o.top_p}
    given = [name for name, value in warpers.items() if value is not None]
    if o.sample is False and given:
        raise FillMaskError(f"{', '.join(given)} apply when sampling, but sample=False; drop them or pass sample=True")
    sampling = o.sample if o.sample is not None else bool(given) or o.num_samples > 1
    settings = check_sampling(o.temperature, o.top_k, o.top_p, default_top_k=_ALL) if sampling else None
    if sampling or o.unmask == "random":
        why = "sampling" if sampling else "unmask='random'"
        check_rng(o.seed, o.rng, why=why)
    elif o.seed is not None or o.rng is not None:
        check_rng(o.seed, o.rng, why="a seeded run")
    return replace(o, schedule=schedule, steps=steps, sampler_settings=settings)


def prompt_texts(texts: str | Sequence[str] | None, prefix: str | Sequence[str] | None, new_tokens: int | None,
                 length: int | None) -> tuple[list[str], int]:
    """The prompt texts and the masks to append to each, from ``texts`` / ``prefix`` / ``new_tokens`` / ``length``.

    >>> prompt_texts(None, "MKT", 5, None), prompt_texts(None, None, None, 3)
    ((['MKT'], 5), ([''], 3))
    """
    check_count("new_tokens", new_tokens, allow_none=True)
    check_count("length", length, allow_none=True)
    prefix_, new_tokens_, length_ = (option_name(name) for name in ("prefix", "new_tokens", "length"))
    new_n = option_label("new_tokens", "N", raw=True)
    if length is not None:
        if texts is not None or prefix is not None or new_tokens is not None:
            raise FillMaskError(f"{option_label('length', 'N', raw=True)} generates from nothing: drop the texts / "
                                f"{prefix_} / {new_tokens_}, or use {new_n} to continue a prefix")
        return [""], int(length)
    if (texts is None) == (prefix is None):
        raise FillMaskError(f"pass the prompts as texts (with mask tokens), or {option_label('prefix', 'P', raw=True)} "
                            f"with {new_n}, or {option_label('length', 'N', raw=True)}; exactly one of texts / "
                            f"{prefix_} / {length_}")
    if prefix is not None and new_tokens is None:
        raise FillMaskError(f"{option_label('prefix', prefix)} needs {new_n}: the number of masks to generate after it")
    given = texts if texts is not None else prefix
    items = [given] if isinstance(given, str) else given
    if not isinstance(items, (list, tuple)) or not items:
        raise FillMaskError(f"texts={given!r} must be a str or a non-empty list of str")
    return list(items), 0 if new_tokens is None else int(new_tokens)
