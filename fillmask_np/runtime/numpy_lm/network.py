"""What a family's forward pass provides (``Network``), and ``hidden_at`` for families whose every layer runs
on every position (``AllPositions``); BERT's and ESM-2's networks run their last layer on the scored rows alone
instead."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .head import MLMHead

__all__ = ["AllPositions", "Network"]


class Network(Protocol):
    """A family's forward pass: ``hidden`` [B, L, H] states or ``hidden_at`` the scored rows [M, H], then
    ``head`` on those rows [M, H] -> [M, V]."""

    # read-only members: the networks are frozen dataclasses
    @property
    def words(self) -> np.ndarray:  # [V, E] input embeddings: ids must be below V
        ...

    @property
    def head(self) -> MLMHead:
        ...

    @property
    def uses_token_types(self) -> bool:
        ...

    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray: ...

    def hidden_at(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, batch: np.ndarray,
                  position: np.ndarray) -> np.ndarray: ...


class _Hidden(Protocol):
    def hidden(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray: ...


class AllPositions:
    """Mixin: ``hidden_at`` as the rows of ``hidden``, for a network whose layers all run on every position."""

    def hidden_at(self: _Hidden, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, batch: np.ndarray,
                  position: np.ndarray) -> np.ndarray:
        """The last hidden states at rows (``batch[i]``, ``position[i]``) -> [M, H], gathered from ``hidden``."""
        return self.hidden(ids, mask, types)[batch, position]  # [B, L, H] -> [M, H]
