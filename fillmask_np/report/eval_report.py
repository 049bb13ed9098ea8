"""The figures of an evaluation: the public ``EvalReport``, built from the running ``metrics.Totals``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError, FillMaskError
from ..metrics import Totals, worst_rows
from .jsonable import json_ready

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["EvalReport"]


@dataclass
class EvalReport:
    """What ``evaluate`` measured. ``cross_entropy`` is the mean NLL (nats) per masked token."""

    cross_entropy: float
    perplexity: float
    top1_accuracy: float
    top5_accuracy: float
    n_samples: int  # non-empty samples read
    n_scored_samples: int  # samples with at least one masked token
    n_masked: int  # masked (scored) tokens
    n_tokens: int  # real tokens, specials included, of the samples read
    n_empty: int  # empty or whitespace-only samples skipped
    n_unmaskable: int  # samples with no maskable token (only special tokens), skipped
    n_no_mask_drawn: int  # maskable samples in which this seed selected nothing
    n_truncated: int  # samples cut to max_length
    unk_tokens: int  # tokens that are the tokenizer's unknown token ([UNK]): text it could not read
    text_tokens: int  # tokens that are no special token other than [UNK]: what unk_tokens is a share of
    settings: dict[str, Any] = field(default_factory=dict)
    # per scored sample: index (i-th non-empty sample), position (in the source), n_masked, cross_entropy
    per_sample: dict[str, list] = field(default_factory=dict)
    # evaluate(return_tokens=True): one record per masked token, sorted by (sample, position), as [T] arrays:
    # sample, position, input_id, label, loss (float64 NLL), rank (of the label, 0 = top-1), top_id (argmax)
    tokens: dict[str, np.ndarray] | None = None
    # evaluate(worst=N): the N highest-loss tokens, highest first: the record's fields plus label_token,
    # top_token and context (a few tokens each side of the target, as the model saw them, target as [[label]])
    worst_tokens: list[dict[str, Any]] | None = None
    # evaluate(save_masks=PATH): {"path", "sha256"} of the manifest this run wrote (the bytes it wrote)
    saved_masks: dict[str, str] | None = None
    # the mergeable totals the figures were computed from (``save_partial``, ``fm.merge``); not in ``to_dict``
    totals: Totals | None = field(default=None, repr=False, compare=False)
    # partial=PATH: {"path", "sha256"} of the partial file this run wrote (``fm.merge`` reads it)
    saved_partial: dict[str, str] | None = None
    # a Ray run's record (``fillmask_np.distributed``): the nodes that scored blocks with their sample counts, the
    # blocks and the in-flight bound; not in ``to_dict`` (the figures are the one-process run's, bit for bit)
    ray: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def worst(self, n: int) -> dict[str, np.ndarray]:
        """The ``n`` highest-loss records of ``tokens`` (highest first; ties: lower sample, then position).

        >>> report.worst(10)["loss"]  # doctest: +SKIP
        """
        if self.tokens is None:
            raise FillMaskError("this report has no per-token records; evaluate with return_tokens=True "
                                "(or worst=N for the worst tokens with their context)")
        return worst_rows(self.tokens, n)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure (a non-finite float becomes None; arrays become lists)."""
        return json_ready(self, arrays="tokens")  # perplexity overflows to inf when the CE exceeds ~709

    def to_pandas(self, tokenizer: Tokenizer | None = None) -> Any:
        """The per-token table (``report.per_token.token_table``: one row per masked token, what ``--tokens``
        writes) as a ``pandas.DataFrame``; needs pandas and ``evaluate(..., return_tokens=True)``.

        >>> report.to_pandas(tok).groupby("input_kind")["loss"].mean()  # doctest: +SKIP
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise FillMaskError("EvalReport.to_pandas needs pandas: pip install pandas") from exc
        from .per_token import token_table

        return pd.DataFrame(token_table(self.tokens, self.per_sample, tokenizer))

    @classmethod
    def from_totals(cls, totals: Totals, settings: dict[str, Any]) -> EvalReport:
        """The report of an evaluation's running ``totals``; ``DataError`` when nothing was scored."""
        counts: dict[str, Any] = totals.counts  # Any: the count fields are matched by name, not by type
        if counts["n_samples"] == 0:
            raise DataError("the dataset has no non-empty sample; pass a file with one text per line")
        if totals.masked == 0:
            raise DataError(f"no token was masked in {counts['n_samples']} samples; raise mlm_probability "
                            f"or check that the texts tokenize to more than special tokens")
        masked = totals.masked
        ce = totals.nll / masked
        rows = totals.sorted_samples()
        per_sample = {"index": rows["index"], "position": rows["position"], "n_masked": rows["n_masked"],
                      "cross_entropy": [s / n for s, n in zip(rows["nll"], rows["n_masked"])]}
        report = cls(cross_entropy=ce, perplexity=float(np.exp(ce)), top1_accuracy=totals.top1 / masked,
                     top5_accuracy=totals.top5 / masked, n_scored_samples=len(rows["index"]), n_masked=masked,
                     settings=settings, per_sample=per_sample, **counts)
        report.totals = totals
        return report
