"""How a token is chosen when not by argmax: ``Sampler`` (temperature, then ``top_k``, then ``top_p``, in
that order, as ``transformers``' generation warpers), and the checks of its settings and of the seed.

``fill_mask(strategy="iterative")`` and ``generate`` share these; each (prompt, sample) of ``generate``
gets its own ``Sampler`` whose Generator is ``np.random.default_rng([seed, prompt_index, sample_index])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import validate_seed
from ..errors import FillMaskError
from ..limits import check_count, option_label

__all__ = ["Sampler", "check_sampling", "check_rng"]


@dataclass(frozen=True)
class Sampler:
    """How to draw a token: softmax(logits / temperature), cut to the ``top_k`` best, then to the smallest
    set holding ``top_p`` of the mass; ``rng`` draws."""

    rng: np.random.Generator
    temperature: float = 1.0
    top_k: int = 5
    top_p: float = 1.0

    def draw(self, log_p: np.ndarray) -> int:
        """Index into ``log_p`` [C] (float64 log-probabilities of the candidates) of the drawn token.

        Args:
            log_p: [C] log-probabilities (any constant shift is fine: they are renormalised).
        Returns:
            the index of the drawn candidate; exactly one ``rng.random()`` is consumed.
        """
        scaled = log_p / self.temperature  # [C]; log-softmax is shift-invariant, so logits / T alike
        order = np.argsort(-scaled, kind="stable")[: self.top_k]  # [C] -> [k] best first
        p = np.exp(scaled[order] - scaled[order[0]])  # [k], unnormalised, max 1
        p /= p.sum(dtype=np.float64)
        mass_before = np.cumsum(p) - p  # [k] mass of the better candidates
        keep = max(1, int(np.count_nonzero(mass_before < self.top_p)))  # the best one always stays
        cumulative = np.cumsum(p[:keep])  # [keep]
        u = self.rng.random() * cumulative[-1]
        return int(order[min(int(np.searchsorted(cumulative, u, side="right")), keep - 1)])


def check_sampling(temperature: float | None, top_k: int | None, top_p: float | None, *,
                   default_top_k: int) -> tuple[float, int, float]:
    """The sampling settings checked, unset ones at their defaults (temperature 1, ``default_top_k``, top_p 1).

    Args:
        temperature: > 0, divides the logits (None: 1).
        top_k: at least 1 (None: ``default_top_k``).
        top_p: in (0, 1] (None: 1, no nucleus cut).
        default_top_k: the top_k when None (fill_mask: 5; generate: the whole vocabulary).
    Returns:
        ``(temperature, top_k, top_p)``.

    >>> check_sampling(None, None, 0.9, default_top_k=5)
    (1.0, 5, 0.9)
    """
    temperature = 1.0 if temperature is None else temperature
    top_p = 1.0 if top_p is None else top_p
    top_k = default_top_k if top_k is None else check_count("top_k", top_k, hint="candidates to sample from")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            math.isfinite(temperature) and temperature > 0):
        raise FillMaskError(f"{option_label('temperature', temperature)} must be a positive number, e.g. 0.7 or 1.0")
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise FillMaskError(f"{option_label('top_p', top_p)} must be in (0, 1], e.g. 0.9")
    return float(temperature), int(top_k), float(top_p)


def check_rng(seed: int | None, rng: np.random.Generator | None, *, why: str) -> None:
    """Refuse a random choice without exactly one of ``seed`` / ``rng``, or a bad one of them.

    Args:
        seed: a non-negative int, or None.
        rng: a ``np.random.Generator``, or None.
        why: what needs the randomness (for the message), e.g. "sampling".
    """
    if (seed is None) == (rng is None):
        raise FillMaskError(f"{why} needs exactly one of seed= or rng= (got seed={seed!r}, rng={rng!r}); "
                            f"e.g. seed=0")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise FillMaskError(f"rng={rng!r} must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    if seed is not None:
        validate_seed(seed)
