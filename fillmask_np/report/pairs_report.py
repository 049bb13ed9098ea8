"""The figures of a minimal-pairs run: the public ``PairsReport``, built from ``metrics.PairTotals``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError
from ..metrics import PAIR_ROW_KEYS, PairTotals
from .jsonable import json_ready

__all__ = ["PairsReport"]


@dataclass
class PairsReport:
    """What ``score_pairs`` measured (natural logs).

    ``accuracy`` is the share of pairs with PLL(good) > PLL(bad) (a tie counts as wrong); ``pairs`` holds one
    record per pair in input order (``index``, ``position``, ``good``, ``bad``, ``group``, ``good_pll``,
    ``bad_pll``, ``delta_pll`` = good - bad, ``good_tokens``, ``bad_tokens``, ``correct``); ``groups`` maps each
    value of the group field, in order of first appearance, to ``{"accuracy", "count"}`` (None without one).
    """

    accuracy: float
    n_pairs: int  # pairs scored
    n_correct: int  # pairs with PLL(good) > PLL(bad)
    n_ties: int  # pairs with PLL(good) == PLL(bad) (counted as wrong)
    mean_delta_pll: float  # mean over the pairs of PLL(good) - PLL(bad), nats
    n_tokens: int  # real tokens of both sentences, specials included
    n_truncated: int  # sentences cut to max_length
    unk_tokens: int  # tokens that are the tokenizer's unknown token
    text_tokens: int  # tokens that are no special token other than [UNK]
    variant: str
    pairs: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    # the mergeable totals the figures were computed from (``save_partial``, ``fm.merge``); not in ``to_dict``
    totals: PairTotals | None = field(default=None, repr=False, compare=False)
    # partial=PATH: {"path", "sha256"} of the partial file this run wrote (``fm.merge`` reads it)
    saved_partial: dict[str, str] | None = None
    # a Ray run's record (``fillmask_np.distributed``): the nodes that scored blocks with their sample counts, the
    # blocks and the in-flight bound; not in ``to_dict`` (the figures are the one-process run's, bit for bit)
    ray: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (a non-finite float becomes None)."""
        return json_ready(self)

    @classmethod
    def from_totals(cls, totals: PairTotals, variant: str, settings: dict[str, Any]) -> PairsReport:
        """The report of a run's ``totals``; ``DataError`` when no pair was scored."""
        if not totals.rows["index"]:
            raise DataError("no pair to score: the data holds no pair (or the shard none); pass a file with one "
                            "pair per record")
        rows = sorted(zip(*(totals.rows[k] for k in PAIR_ROW_KEYS)))  # by pair index
        pairs = []
        for row in rows:
            record = dict(zip(PAIR_ROW_KEYS, row))
            record["delta_pll"] = record["good_pll"] - record["bad_pll"]
            record["correct"] = record["good_pll"] > record["bad_pll"]
            pairs.append(record)
        n = len(pairs)
        n_correct = sum(p["correct"] for p in pairs)
        groups: dict[str, dict[str, Any]] | None = None
        if settings.get("group_field") is not None:
            tally: dict[str, list[int]] = {}
            for p in pairs:
                tally.setdefault(p["group"], [0, 0])
                tally[p["group"]][0] += p["correct"]
                tally[p["group"]][1] += 1
            groups = {g: {"accuracy": c / k, "count": k} for g, (c, k) in tally.items()}
        counts: dict[str, Any] = totals.counts  # Any: the count fields are matched by name, not by type
        return cls(accuracy=n_correct / n, n_correct=n_correct,
                   n_ties=sum(p["good_pll"] == p["bad_pll"] for p in pairs),
                   mean_delta_pll=math.fsum(p["delta_pll"] for p in pairs) / n, variant=variant, pairs=pairs,
                   groups=groups, settings=settings, totals=totals, **counts)
