"""What ``generate`` returns: one ``Generation`` per (prompt, sample), each with its ``GenerationStep``s, and
``Generations``, the list of them with the run's cost (model runs, tokens per second) and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

__all__ = ["GenerationStep", "Generation", "Generations"]


@dataclass(frozen=True)
class GenerationStep:
    """One unmasking step of one generation.

    Attributes:
        positions: [n] int64 positions filled, in fill order (see ``generate``'s ``unmask``).
        tokens: [n] int64 ids written there.
        probs: [n] float64 model probabilities of those ids (softmax over the vocabulary, temperature 1).
        masked: [R] int64 positions still masked before the step, text order (R >= n).
        top_ids: [R, k] int64 the k most probable allowed ids at each of them, best first (``history_top_k``),
            or None.
        top_probs: [R, k] float64 their probabilities, or None.
    """

    positions: np.ndarray
    tokens: np.ndarray
    probs: np.ndarray
    masked: np.ndarray
    top_ids: np.ndarray | None = None
    top_probs: np.ndarray | None = None

    def as_dict(self, decode: Any = None) -> dict[str, Any]:
        """JSON-ready: positions, tokens, probs (and ``token_strs`` when ``decode(id) -> str`` is given)."""
        out: dict[str, Any] = {"positions": self.positions.tolist(), "tokens": self.tokens.tolist(),
                               "probs": self.probs.tolist()}
        if decode is not None:
            out["token_strs"] = [decode(int(t)) for t in self.tokens]
        return out


@dataclass(frozen=True)
class Generation:
    """One filled prompt.

    Attributes:
        text: the result decoded without special tokens (with them while masks remain unfilled, so
            that those show).
        ids: [L] int64 the result's ids, special tokens included.
        steps: the steps run, in order.
        prompt: the prompt text (the prefix with ``new_tokens``; "" with ``length``).
        prompt_index, sample_index: which prompt and which of its ``num_samples`` draws.
        input_ids: [L] int64 the prompt's ids with its masks.
        unfilled: [U] int64 positions left masked because ``max_steps`` was reached (empty otherwise).
    """

    text: str
    ids: np.ndarray
    steps: list[GenerationStep]
    prompt: str
    prompt_index: int
    sample_index: int
    input_ids: np.ndarray
    unfilled: np.ndarray

    @property
    def masks(self) -> np.ndarray:
        """[K] int64 the prompt's mask positions, text order (those still masked before the first step)."""
        return self.steps[0].masked

    def as_dict(self, decode: Any = None) -> dict[str, Any]:
        """JSON-ready record of the generation (``decode(id) -> str`` adds each step's token strings)."""
        return {"prompt": self.prompt, "prompt_index": self.prompt_index, "sample_index": self.sample_index,
                "text": self.text, "ids": self.ids.tolist(), "steps": [s.as_dict(decode) for s in self.steps],
                "unfilled": self.unfilled.tolist()}


@dataclass
class Generations:
    """The generations of one ``generate`` call, prompt-major (``[p * num_samples + s]``), and its cost.

    Indexing, ``len`` and iteration go to the generations (``out[0].text``).

    Attributes:
        items: the ``Generation``s.
        settings: the settings used, JSON-ready.
        model_runs: model runs (one per step per batch of rows).
        positions_scored: logit rows computed (still-masked positions over all runs).
        tokens_filled: masks filled.
        seconds: wall time of the loop (model runs and choices; no tokenizing or decoding).
        history_sha256: sha256 of the history file written, when ``history=`` was given.
    """

    items: list[Generation]
    settings: dict[str, Any] = field(default_factory=dict)
    model_runs: int = 0
    positions_scored: int = 0
    tokens_filled: int = 0
    seconds: float = 0.0
    history_sha256: str | None = None

    def __getitem__(self, index: int) -> Generation:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Generation]:
        return iter(self.items)

    @property
    def tokens_per_second(self) -> float:
        """Masks filled per second of the loop (0.0 when nothing was timed)."""
        return self.tokens_filled / self.seconds if self.seconds > 0 else 0.0

    def cost(self) -> dict[str, Any]:
        """The cost figures, JSON-ready."""
        return {"model_runs": self.model_runs, "positions_scored": self.positions_scored,
                "tokens_filled": self.tokens_filled, "seconds": self.seconds,
                "tokens_per_second": self.tokens_per_second}
