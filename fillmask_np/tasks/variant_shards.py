"""Variant scoring in shards: ``shard=(i, n)`` scores the mutations k with ``k % n == i``; ``partial=`` writes their
scores (kind "variants", see ``report.partial_file``); ``merge`` puts the shards' scores back in input order and
computes the Spearman correlation over all of them: the report of one run over every mutation (each mutation's
score does not depend on the others scored with it; ``n_forward_rows`` is the sum of the shards' rows)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..metrics.rank_correlation import spearman
from ..report import provenance, write_partial
from ..report.variants_report import VariantReport

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["merge_variants", "save_variant_partial", "variant_data"]


def variant_data(wild_type: str, mutations: list[str]) -> list[str]:
    """What a variant run reads, as one list of strings (its sha256 names the data of a partial)."""
    return [wild_type, *mutations]


def save_variant_partial(path: str | Path, report: VariantReport, model: MaskedLM, tokenizer: Tokenizer,
                         mutations: list[str], targets: np.ndarray | None) -> dict[str, str]:
    """Write the partial file of a (shard's) run; ``{"path", "sha256"}`` of what was written.

    Args:
        path: a ``.json`` or ``.npz`` path, checked before the run (``check_partial``).
        report: the run's report.
        model, tokenizer: what scored it.
        mutations: every mutation of the run (all shards'), whose sha256 names the data.
        targets: every mutation's target, or None.
    Returns:
        the path written and the sha256 of its bytes.
    """
    record = provenance(model, tokenizer, variant_data(report.wild_type, mutations))
    sources = {"model": record["model"].get("sha256"), "tokenizer": record["tokenizer"]["sha256"],
               "data": record["data"]["sha256"]}
    settings = dict(report.settings)
    shard = settings.pop("shard", None)
    totals = {"index": list(report.indices), "score": list(report.scores), "mutation": list(report.mutations),
              "target": [] if targets is None else [float(targets[k]) for k in report.indices],
              "forward_rows": [report.n_forward_rows]}
    extra = {"wild_type": report.wild_type, "n_mutations": len(mutations), "has_targets": targets is not None,
             "sequence_length": report.sequence_length, "n_windows": report.n_windows}
    document = {"kind": "variants", "shard": None if shard is None else [int(x) for x in shard.split("/")],
                "settings": settings, "sources": sources, "provenance": record, "totals": totals, "extra": extra}
    return write_partial(path, document)


def merge_variants(docs: list[dict[str, Any]], settings: dict[str, Any]) -> VariantReport:
    """The report of the merged partials of one variant run (checked alike and covering by ``merge``)."""
    rows = sorted((int(k), float(s), str(m), t) for d in docs
                  for k, s, m, t in zip(_list(d, "index"), _list(d, "score"), _list(d, "mutation"),
                                        _list(d, "target") or [None] * len(_list(d, "index"))))
    extra = docs[0]["extra"]
    scores = [s for _, s, _, _ in rows]
    targets = np.array([t for _, _, _, t in rows], dtype=np.float64) if extra["has_targets"] else None
    rho = spearman(np.array(scores), targets, what="targets") if targets is not None else None
    wild_type = str(extra["wild_type"])
    report = VariantReport(strategy=settings["strategy"], mutations=[m for _, _, m, _ in rows], scores=scores,
                           sequence_length=int(extra["sequence_length"]), offset=int(settings["offset"]),
                           n_forward_rows=sum(int(r) for d in docs for r in _list(d, "forward_rows")),
                           n_windows=int(extra["n_windows"]), spearman=rho,
                           n_targets=0 if targets is None else len(targets), settings=settings,
                           indices=[k for k, _, _, _ in rows], wild_type=wild_type)
    report.singles = _singles(report)
    return report


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    """A totals column as a Python list (an ``.npz`` partial gives arrays)."""
    value = doc["totals"][key]
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def _singles(report: VariantReport) -> list[tuple[int, str, float]]:
    """The heat map's (0-based index, mutant residue, score) of each single substitution."""
    out = []
    for text, score in zip(report.mutations, report.scores):
        if ":" not in text:
            out.append((int(text.strip()[1:-1]) - report.offset, text.strip()[-1], score))
    return out
