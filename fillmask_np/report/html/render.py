"""``render_html``: a report (``EvalReport``, ``PLLReport``, ``CompareReport`` or ``PairsReport``) as one self-contained HTML file,
checked before writing (``text.check_output``: not one of the run's inputs, its directory writable) and written
atomically (``text.AtomicFile``); ``html_report`` returns the page as a string."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Union

from ...errors import FillMaskError
from ...limits import check_count
from ...text import AtomicFile, check_output
from ..compare_report import CompareReport
from ..eval_report import EvalReport
from ..pairs_report import PairsReport
from ..pll_report import PLLReport
from ..trace import provenance as make_provenance
from .compare_page import compare_html
from .eval_page import eval_html
from .page import PageInputs
from .pairs_page import pairs_html
from .pll_page import pll_html

if TYPE_CHECKING:  # pragma: no cover
    from ...runtime import MaskedLM
    from ...text import TextSource
    from ...tokenization import Tokenizer

__all__ = ["html_report", "render_html"]

Report = Union[EvalReport, PLLReport, CompareReport, PairsReport]


def html_report(report: Report, *, tokenizer: Tokenizer | None = None, texts: TextSource | None = None,
                text_field: str | None = None, provenance: dict[str, Any] | None = None, samples: int = 50,
                seed: int = 0) -> str:
    """The page of ``report`` as a string (arguments as ``render_html``)."""
    samples = check_count("samples", samples, hint="samples the page shows")
    if isinstance(report, CompareReport):
        return compare_html(report, texts=texts, text_field=text_field, samples=samples, provenance=provenance)
    if isinstance(report, PairsReport):
        return pairs_html(report, provenance=provenance, worst=samples)
    if not isinstance(report, (EvalReport, PLLReport)):
        raise FillMaskError(f"render_html takes an EvalReport, PLLReport or CompareReport, got "
                            f"{type(report).__name__}")
    if tokenizer is None:
        raise FillMaskError("render_html needs the report's tokenizer to show its tokens: pass tokenizer=")
    inputs = PageInputs(tokenizer, texts, text_field, provenance, samples, seed)
    if isinstance(report, EvalReport):
        return eval_html(report, inputs)
    return pll_html(report, inputs)


def render_html(report: Report, path: str | Path, *, tokenizer: Tokenizer | None = None,
                texts: TextSource | None = None, text_field: str | None = None, model: MaskedLM | None = None,
                provenance: dict[str, Any] | None = None, samples: int = 50, seed: int = 0,
                inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write ``report`` as one HTML file that opens offline (inline CSS and SVG, no network, a few lines of script).

    Args:
        report: an ``EvalReport`` (with ``evaluate(..., return_tokens=True, return_top5=True)`` for every chart
            and tooltip), a ``PLLReport`` (``return_tokens=True`` for the heat map) or a ``CompareReport``.
        path: the ``.html`` file; refused before anything is written if it is one of the inputs (``texts``, the
            tokenizer's and the model's files, ``inputs``), a directory, or not writable.
        tokenizer: the report's tokenizer (decodes the tokens; needed for evaluations and PLL runs).
        texts: the data the report was made from (a path or a list), to show the samples as text.
        text_field: the JSONL field or table column of ``texts``.
        model: when given and ``provenance`` is not, the page's provenance is ``report.provenance(model,
            tokenizer, texts)`` (sha256 of the files, versions).
        provenance: the provenance record to show (the command line passes the one ``--json`` prints).
        samples: show the ``samples`` worst samples and ``samples`` more drawn at random (``seed``).
    Returns:
        the path written.

    >>> fm.render_html(report, "report.html", tokenizer=tok, texts="texts.txt", model=model)  # doctest: +SKIP
    """
    sources = [texts if isinstance(texts, (str, Path)) else None, tokenizer.source if tokenizer else None,
               model.name if model is not None else None, *inputs]
    path = check_output(path, inputs=[s for s in sources if s and Path(s).is_file()], what="HTML report")
    if provenance is None and isinstance(report, (EvalReport, PLLReport, PairsReport)) and model is not None:
        seed_used = report.settings.get("seed")
        provenance = make_provenance(model, tokenizer, texts, **({} if seed_used is None else {"seed": seed_used}))
    page = html_report(report, tokenizer=tokenizer, texts=texts, text_field=text_field, provenance=provenance,
                       samples=samples, seed=seed)
    with AtomicFile(path, what="HTML report") as handle:
        handle.write(page.encode("utf-8"))
    return path
