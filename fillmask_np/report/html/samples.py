"""The samples a page shows, as text: read from the data the report was made from, encoded again with the
report's settings (same tokenizer, ``max_length`` and special-token policy, so token positions are the
report's), and each scored token marked at its character offsets. A label that is not the token found at its
position means the data is not the report's: refused, naming the sample.

Without the data, a sample shows its scored tokens alone (decoded ids), still one element per token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from ...errors import DataError
from ...text import iter_texts
from .heatmap import Mark, mark_text, token_span
from .page import escape

if TYPE_CHECKING:  # pragma: no cover
    from ...text import TextSource
    from ...tokenization import Tokenizer

__all__ = ["fetch_texts", "sample_block", "sample_lists", "shown_note"]


def fetch_texts(texts: TextSource | None, positions: Iterable[int], text_field: str | None) -> dict[int, str]:
    """``{source position: text}`` for ``positions`` (reads the source until it has them all; {} for None)."""
    wanted = set(int(p) for p in positions)
    out: dict[int, str] = {}
    if texts is None or not wanted:
        return out
    for position, text in iter_texts(texts, text_field=text_field):
        if position in wanted:
            out[position] = text
            if len(out) == len(wanted):
                break
    return out


def sample_block(tokenizer: Tokenizer, settings: dict[str, Any], *, sample: int, text: str | None, meta: str,
                 positions: np.ndarray, ids: np.ndarray, values: np.ndarray, tips: Sequence[str], vmax: float) -> str:
    """One sample: a meta line (HTML) and its text with the scored tokens coloured by ``values``.

    Args:
        tokenizer: encodes ``text`` again (and names the tokens when there is no text).
        settings: the report's settings (``max_length``, ``special_tokens``, ``long``).
        sample: the sample's index (i-th non-empty sample), for ids and messages.
        text: the sample's text as read from the data, or None.
        meta: HTML shown above the text.
        positions: [n] token positions of the scored tokens; ``ids`` [n] their ids (labels), ``values`` [n] their
            losses, ``tips`` their tooltips (HTML).
        vmax: the top of the colour scale.
    """
    names = tokenizer.convert_ids_to_tokens(np.asarray(ids).tolist())
    prefix = f"s{sample}"
    if text is None:
        body = " ".join(token_span(n, float(v), vmax, t, f"{prefix}-{k}")
                        for k, (n, v, t) in enumerate(zip(names, values, tips)))
    else:
        whole = settings.get("long") == "window"  # every token was scored, in windows: positions in the whole text
        row = tokenizer.encode_rows([text], max_length=None if whole else settings.get("max_length"),
                                    special_tokens=settings.get("special_tokens", "template"))[0]
        marks = []
        for p, i, v, t, name in zip(np.asarray(positions).tolist(), np.asarray(ids).tolist(), values, tips, names):
            if p >= len(row.ids) or int(row.ids[p]) != i:
                found = tokenizer.convert_ids_to_tokens([int(row.ids[p])])[0] if p < len(row.ids) else "nothing"
                raise DataError(f"the texts do not match this report: sample {sample} has {name!r} at token {p} in "
                                f"the report but {found!r} in the texts given; pass the data the report was made "
                                f"from (and the same text_field)")
            start, stop = (int(x) for x in row.offsets[p])
            marks.append(Mark(start, stop, float(v), t, name))
        stop = int(row.offsets[:, 1].max()) if row.truncated and len(row.ids) else len(text)
        body = mark_text(text, marks, vmax, stop=stop, cut=bool(row.truncated), prefix=prefix)
    return (f'<div class="sample" data-sample="{sample}" data-tokens="{len(values)}"><div class="meta">{meta}</div>'
            f'<div class="sample-text">{body}</div></div>')


def sample_lists(worst: Sequence[str], drawn: Sequence[str]) -> list[str]:
    """The sample blocks under their headings, a heading only above blocks it has: the worst samples (all of them,
    highest first, when nothing is left to draw) and the seeded draw of the others.

    >>> sample_lists(["<div>a</div>"], [])
    ['<h3>All samples, the worst first</h3>', '<div>a</div>']
    """
    parts: list[str] = []
    if worst:
        parts += ["<h3>Worst samples</h3>" if drawn else "<h3>All samples, the worst first</h3>", *worst]
    if drawn:
        parts += ["<h3>A seeded draw of the other samples</h3>", *drawn]
    return parts


def shown_note(n_worst: int, n_random: int, n_total: int, seed: int, what: str, has_text: bool) -> str:
    """The sentence that says which samples are shown and how they were chosen (escaped)."""
    rest = n_total - n_worst
    if rest <= 0:
        text = f"Showing all {n_total} scored samples, the highest {what} first; the charts above cover all of them."
    else:
        text = (f"Showing the {n_worst} samples with the highest {what} and {n_random} of the other {rest} drawn at "
                f"random (numpy default_rng({seed})), of {n_total} scored samples; the charts above cover all of "
                f"them.")
    if not has_text:
        text += " The data was not given, so each sample shows its scored tokens only (pass texts= / --data)."
    return f'<p class="note" id="shown-note">{escape(text)}</p>'
