"""``merge``: the partial files of the shards of a corpus combined into one report, bit for bit that of one run.

Partials are merged only when they were made the same way: the same kind of run, the same settings, the
same model, tokenizer and data (by sha256), the same backend and precision, shards of one split, each once. A
missing shard is refused unless ``allow_partial=True``; the report then names the shards it covers
(``settings["shards_covered"]``).

The batch size (shards always draw their masks per sample, independent of it) and pppl's token budget are
execution settings, not run settings: both backends give a sample the same bits whatever its batch, so partials
that differ only in them merge, and the merged settings list the values used (``batch_size: [3, 4, 5]``). The
thread count is provenance, never compared. Different backends or precisions round differently in the last bits:
refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import DataError, FillMaskError
from ..metrics import EVAL_REPORT_COUNTS, PairedTotals, PairTotals, PLLTotals, Thresholds, Totals, warn_unknown
from ..report import CompareReport, EvalReport, PairsReport, PLLReport, read_partial
from ..report.variants_report import VariantReport
from ..text import Progress
from .variant_shards import merge_variants

__all__ = ["merge"]

_FLOAT_COLUMNS = ("loss", "top5_probs", "log_prob")
EXECUTION_SETTINGS = ("batch_size", "token_budget")


def merge(partials: Sequence[str | Path] | str | Path, *,
          allow_partial: bool = False,
          progress: bool | None = None) -> EvalReport | PLLReport | CompareReport | PairsReport | VariantReport:
    """Merge partial files (``partial=`` / ``--partial``) into the report of the whole corpus.

    Args:
        partials: the partial files (``.json`` or ``.npz``), in any order.
        allow_partial: merge even when shards are missing; the report's ``settings["shards_covered"]`` and
            ``settings["shards_total"]`` then say which shards it covers.
        progress: a progress bar of the partial files read on stderr (default: when stderr is a terminal).
    Returns:
        an ``EvalReport``, ``PLLReport``, ``CompareReport``, ``PairsReport`` or ``VariantReport``, equal field for field to the report of one run
        over every shard's samples (for any shard count and batch size).

    >>> merge(["part-0.json", "part-1.json"]).cross_entropy  # doctest: +SKIP
    """
    paths = [partials] if isinstance(partials, (str, Path)) else partials
    if not isinstance(paths, (list, tuple)) or not all(isinstance(p, (str, Path)) for p in paths):
        raise FillMaskError(f"partials={partials!r} must be a path or a list of paths of partial files (written by "
                            f"--partial / partial=)")
    if not paths:
        raise FillMaskError("merge needs at least one partial file (written by --partial / partial=)")
    bar = Progress(enabled=progress, label="merge", total=len(paths), unit="partial")
    docs = []
    for path in paths:
        docs.append(read_partial(path))
        bar.update(1)
    bar.close()
    settings = _check_alike(docs)
    settings.update(shard=None, **_coverage(docs, allow_partial))
    kind = docs[0]["kind"]
    if kind == "eval":
        totals = Totals.merge([Totals.from_state(d["totals"]) for d in docs])
        report: Any = EvalReport.from_totals(totals, settings)
        warn_unknown(totals.counts)
        worst = int(docs[0]["extra"]["worst"])
        if worst:
            entries = [w for d in docs for w in d["extra"]["worst_tokens"]]
            report.worst_tokens = sorted(entries, key=lambda w: (-w["loss"], w["sample"], w["position"]))[:worst]
        report.tokens = _merged_tokens(docs)
        return report
    if kind == "pppl":
        pll = PLLTotals.merge([PLLTotals.from_state(d["totals"]) for d in docs])
        report = PLLReport.from_totals(pll, docs[0]["extra"]["variant"], settings)
        warn_unknown(pll.counts)
        report.tokens = _merged_tokens(docs)
        return report
    if kind == "variants":
        return merge_variants(docs, settings)
    if kind == "pairs":
        pairs = PairTotals.merge([PairTotals.from_state(d["totals"]) for d in docs])
        return PairsReport.from_totals(pairs, docs[0]["extra"]["variant"], settings)
    sides = [Totals.merge([Totals.from_state(d["totals"][side]) for d in docs]) for side in ("candidate", "reference")]
    cand, ref = (EvalReport.from_totals(side, settings) for side in sides)
    warn_unknown(sides[0].counts)  # the two models read the same tokens: one warning
    record = dict(docs[0]["provenance"])
    record.update({k: getattr(cand, k) for k in EVAL_REPORT_COUNTS if k in record})
    record["shard"] = None  # the merged shards' figures, as one run's
    return CompareReport.from_totals(PairedTotals.merge([PairedTotals.from_state(d["totals"]["paired"]) for d in docs]),
                                     cand, ref, bootstrap=int(settings["bootstrap"]),
                                     bootstrap_seed=int(settings["bootstrap_seed"]),
                                     thresholds=Thresholds(**docs[0]["extra"]["thresholds"]), settings=settings,
                                     profile=docs[0]["extra"].get("profile"),
                                     provenance=record)


def _check_alike(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The partials' common settings; ``DataError`` naming the first difference and the two files."""
    first = docs[0]
    for doc in docs[1:]:
        where = f"{first['path']!r} and {doc['path']!r}"
        if doc["kind"] != first["kind"]:
            raise DataError(f"{where} are partials of different runs ({first['kind']} and {doc['kind']}); merge "
                            f"the partials of one command")
        for role in ("model", "reference"):
            a, b = _arithmetic(first, role), _arithmetic(doc, role)
            if a != b:
                raise DataError(f"{where} were made by different backends or precisions ({role}: {a} and {b}), "
                                f"which differ in the last bits; score every shard with the same backend and "
                                f"--precision")
        for key, things in (("model", "models"), ("tokenizer", "tokenizers"), ("data", "data"),
                            ("reference", "reference models")):
            a, b = first["sources"].get(key), doc["sources"].get(key)
            if a != b:
                raise DataError(f"{where} were made from different {things} (sha256 {str(a)[:12]}... and "
                                f"{str(b)[:12]}...); merge only the shards of one run")
        for key in sorted(set(first["settings"]) | set(doc["settings"])):
            a, b = first["settings"].get(key), doc["settings"].get(key)
            if a != b and key not in EXECUTION_SETTINGS:
                raise DataError(f"{where} were made with different settings: {key}={a!r} and {key}={b!r}; "
                                f"score every shard with the same options")
        for key in sorted(set(first["extra"]) - {"worst_tokens", "tokens"}):
            if first["extra"][key] != doc["extra"].get(key):
                raise DataError(f"{where} were made with different options: {key}={first['extra'][key]!r} and "
                                f"{doc['extra'].get(key)!r}; score every shard with the same options")
        if (first["extra"].get("tokens") is None) != (doc["extra"].get("tokens") is None):
            raise DataError(f"{where}: one has per-token records and the other not; score every shard with the "
                            f"same options")
    settings = dict(first["settings"])
    for key in EXECUTION_SETTINGS:
        values = sorted({d["settings"][key] for d in docs if key in d["settings"]})
        if len(values) > 1:
            settings[key] = values
    return settings


def _arithmetic(doc: dict[str, Any], role: str) -> str:
    """``backend/precision`` of a partial's model (``role="model"``) or a comparison's reference, from its
    provenance record; ``"-"`` when the partial has no such model."""
    record = doc["provenance"].get(role)
    if not isinstance(record, dict):
        return "-"
    return f"{record.get('backend')}/{record.get('precision', 'float32')}"


def _coverage(docs: list[dict[str, Any]], allow_partial: bool) -> dict[str, Any]:
    """Check the shards (one split, each once); ``{}`` when complete, else what the report covers."""
    shards = [tuple(d["shard"]) if d["shard"] is not None else (0, 1) for d in docs]
    n = shards[0][1]
    seen: dict[int, str] = {}
    for (i, total), doc in zip(shards, docs):
        if total != n:
            raise DataError(f"{docs[0]['path']!r} is one of {n} shards but {doc['path']!r} one of {total}; merge "
                            f"the shards of one split")
        if i in seen:
            raise DataError(f"shard {i}/{n} is given twice ({seen[i]!r} and {doc['path']!r}): the partials overlap; "
                            f"merge each shard once")
        seen[i] = doc["path"]
    missing = sorted(set(range(n)) - set(seen))
    if not missing:
        return {}
    if not allow_partial:
        raise DataError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {n} "
                        f"{'are' if len(missing) > 1 else 'is'} missing: pass every shard's partial, or "
                        f"--allow-partial (allow_partial=True) for a report of the shards given")
    return {"shards_covered": sorted(seen), "shards_total": n}


def _merged_tokens(docs: list[dict[str, Any]]) -> dict[str, np.ndarray] | None:
    """The per-token records of every partial, in (sample, position) order; None when the runs kept none."""
    parts = [d["extra"].get("tokens") for d in docs]
    if parts[0] is None:
        return None
    keys = list(parts[0])
    columns = {}
    for k in keys:
        arrays = [np.asarray(p[k], dtype=np.float64 if k in _FLOAT_COLUMNS else np.int64) for p in parts]
        width = next((a.shape[1:] for a in arrays if a.size), (5,) if k.startswith("top5") else ())
        columns[k] = np.concatenate([a.reshape((-1, *width)) for a in arrays])
    order = np.lexsort((columns["position"], columns["sample"]))
    return {k: v[order] for k, v in columns.items()}
