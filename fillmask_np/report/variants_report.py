"""The figures of a variant-scoring run: the public ``VariantReport`` (one score per mutation, in input order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .jsonable import json_ready

__all__ = ["VariantReport"]


@dataclass
class VariantReport:
    """What ``score_variants`` measured (natural logs; higher = the model prefers the mutant more).

    ``wt-marginals`` and ``masked-marginals``: ``sum over mutated positions of log p(mutant) - log p(wild type)``;
    ``pseudo-ppl``: PLL(mutant sequence) - PLL(wild type).
    """

    strategy: str
    mutations: list[str]  # as given, in input order (with a shard: its mutations, ``indices``)
    scores: list[float]  # one per mutation, in the order of ``mutations``
    sequence_length: int  # residues of the wild type
    offset: int  # the number of the wild type's first residue
    n_forward_rows: int  # model rows run (one row = one copy of the sequence or of one window)
    n_windows: int  # windows the wild type was cut into (1 when it fits the model)
    spearman: float | None = None  # with targets: Spearman's rho of scores against them (None: undefined)
    n_targets: int = 0  # targets the correlation used
    settings: dict[str, Any] = field(default_factory=dict)
    # for the heat map: the wild type and, per single substitution, (0-based index, mutant residue, score)
    wild_type: str = field(default="", repr=False)
    singles: list[tuple[int, str, float]] = field(default_factory=list, repr=False)
    indices: list[int] = field(default_factory=list)  # the input index of each score (a shard's mutations)
    # partial=PATH: {"path", "sha256"} of the partial file this run wrote (``fm.merge`` reads it)
    saved_partial: dict[str, str] | None = None
    # a Ray run's record (``fillmask_np.distributed``): the nodes that scored blocks with their sample counts, the
    # blocks and the in-flight bound; not in ``to_dict`` (the figures are the one-process run's, bit for bit)
    ray: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (``singles`` and the wild type left out: they are the input)."""
        out = json_ready(self)
        del out["wild_type"], out["singles"]
        return out

    def score_array(self) -> np.ndarray:
        """[M] float64 scores."""
        return np.asarray(self.scores, dtype=np.float64)
