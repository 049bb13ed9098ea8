"""A run's partial file (``partial=`` / ``--partial``): its report's mergeable totals and what produced them.

``evaluate``, ``pseudo_log_likelihood`` and ``compare`` call ``check_partial`` before any work and
``save_partial`` after; ``merge`` (``tasks.merging``) reads the files back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FillMaskError
from ..report import CompareReport, EvalReport, PairsReport, PLLReport, check_partial_path, provenance, write_partial
from ..text import check_output
from .inputs import input_paths

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["check_partial", "save_partial", "KIND_OF"]

KIND_OF = {EvalReport: "eval", PLLReport: "pppl", CompareReport: "compare", PairsReport: "pairs"}


def check_partial(path: str | Path, model: MaskedLM, tokenizer: Tokenizer, texts: Any, *,
                  masks: Any = None, reference: Any = None) -> Path:
    """``path`` for ``save_partial``, refused before any work unless it ends in .json/.npz and may be written."""
    inputs = input_paths(model, tokenizer, texts, masks) + input_paths(reference, None)
    return check_output(check_partial_path(path), inputs=inputs, what="partial file")


def save_partial(path: str | Path, report: EvalReport | PLLReport | CompareReport | PairsReport, model: MaskedLM,
                 tokenizer: Tokenizer, texts: Any, *, reference: dict[str, Any] | None = None,
                 worst: int = 0) -> dict[str, str]:
    """Write ``report``'s partial file (see ``report.partial_file``); ``{"path", "sha256"}`` of what was written.

    Args:
        path: a ``.json`` or ``.npz`` path (from ``check_partial``).
        report: the run's report, with its ``totals``.
        model, tokenizer, texts: what produced it; their sha256 go in ``sources``.
        reference: a comparison's reference model record (``provenance(reference)["model"]``).
        worst: the number of worst tokens the run kept (``evaluate(worst=N)``).
    Returns:
        the path written and the sha256 of its bytes.
    """
    if report.totals is None:
        raise FillMaskError("this report has no totals to save (a merged report cannot be saved as a partial)")
    record = provenance(model, tokenizer, texts)
    sources = {"model": record["model"].get("sha256"), "tokenizer": record["tokenizer"]["sha256"],
               "data": record["data"]["sha256"]}
    settings = dict(report.settings)
    shard = settings.pop("shard", None)
    extra: dict[str, Any] = {}
    if isinstance(report, CompareReport):
        sources["reference"] = (reference or {}).get("sha256")
        candidate, reference_totals = report.candidate.totals, report.reference.totals
        assert candidate is not None and reference_totals is not None  # compare sets them with report.totals
        totals = {"candidate": candidate.state(), "reference": reference_totals.state(),
                  "paired": report.totals.state()}
        extra["thresholds"], extra["profile"] = report.thresholds, report.profile
        record = report.provenance
    elif isinstance(report, PairsReport):
        totals, extra["variant"] = report.totals.state(), report.variant
    else:
        totals = report.totals.state()
        extra["tokens"] = report.tokens
        if isinstance(report, PLLReport):
            extra["variant"] = report.variant
        else:
            extra["worst"] = int(worst)
            extra["worst_tokens"] = report.worst_tokens
    document = {"kind": KIND_OF[type(report)], "shard": None if shard is None else [int(x) for x in shard.split("/")],
                "settings": settings, "sources": sources, "provenance": record, "totals": totals, "extra": extra}
    return write_partial(path, document)
