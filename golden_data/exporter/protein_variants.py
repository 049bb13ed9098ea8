"""d. Zero-shot mutation scores, computed in torch as ESM's ``examples/variant-prediction/predict.py`` does.

The wild type is a line of the protein eval text; the mutations are drawn with a seeded numpy Generator (single
substitutions, a synonymous one, a double and a triple, ``:``-joined, 1-based). Residues are pre-split words
(``tok(list(sequence), is_split_into_words=True)``): one token per residue, ``<cls>``/``[CLS]`` and ``<eos>``/
``[SEP]`` around them. For each strategy, written here independently of fillmask_np:

* ``wt-marginals``: one torch forward on the wild type, log-softmax in float64; a mutant's score is the sum over
  its substitutions of ``lp[1 + i, mt] - lp[1 + i, wt]``;
* ``masked-marginals``: as predict.py, one forward per position i of the whole sequence with i masked, row i of
  each kept; then the same sum;
* ``pseudo-ppl``: PLL(sequence) = sum over i of log p(residue i | i masked); score = PLL(mutant) - PLL(wild type).

``masked-marginals_windowed``: the masked-marginals of the same mutations with at most ``WINDOW_MAX_LENGTH`` tokens
per row: windows of W = WINDOW_MAX_LENGTH - 2 residues starting at 0, S, 2S, ... and one ending at the last
residue; each position read in the window where it is farthest from the nearer edge (ties: the earlier window).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .files import save_npz
from .models import torch_logits

VARIANT_MODELS = ("esm", "bert")  # the protein model, and an English WordPiece model that reads letters one each
WILD_TYPE_MIN_RESIDUES = 60  # the wild type: the first eval line at least this long
MUTATION_SEED = 2121
N_SINGLES = 14
WINDOW_MAX_LENGTH = 34  # tokens per row, specials included, for the windowed case
WINDOW_STRIDE = 12  # residues between window starts
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
STRATEGIES = ("wt-marginals", "masked-marginals", "pseudo-ppl", "masked-marginals_windowed")
SCORE_ATOL = 2e-4  # nats: fillmask_np's scores (ONNX or NumPy float32 logits) against these (seen: 2e-5)


def pick_wild_type(eval_lines: Sequence[str]) -> tuple[int, str]:
    """(line index, sequence) of the first eval line with at least WILD_TYPE_MIN_RESIDUES residues."""
    for number, line in enumerate(eval_lines):
        if len(line.strip()) >= WILD_TYPE_MIN_RESIDUES:
            return number, line.strip()
    raise ValueError("no protein eval line is long enough for the variants reference")


def draw_mutations(sequence: str) -> list[str]:
    """Singles at seeded positions (the first and last residue included), a synonymous one, a double, a triple."""
    rng = np.random.default_rng(MUTATION_SEED)
    positions = [0, len(sequence) - 1] + sorted(rng.choice(np.arange(1, len(sequence) - 1), N_SINGLES - 2,
                                                           replace=False).tolist())
    singles = []
    for i in positions:
        choices = [a for a in AMINO_ACIDS if a != sequence[i]]
        singles.append(f"{sequence[i]}{i + 1}{choices[int(rng.integers(len(choices)))]}")
    synonymous = f"{sequence[5]}6{sequence[5]}"
    return singles + [synonymous, f"{singles[2]}:{singles[5]}", f"{singles[3]}:{singles[7]}:{singles[11]}"]


def _split(mutation: str) -> list[tuple[str, int, str]]:
    """'A24P:D30N' -> [('A', 23, 'P'), ('D', 29, 'N')] (0-based)."""
    return [(part[0], int(part[1:-1]) - 1, part[-1]) for part in mutation.split(":")]


def _encode(tok: Any, sequence: str) -> np.ndarray:
    """[N + 2] ids: residues as pre-split words, one token each (checked), with the tokenizer's specials."""
    enc = tok(list(sequence), is_split_into_words=True)
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    words = enc.word_ids()
    assert len(ids) == len(sequence) + 2 and words[1:-1] == list(range(len(sequence))), "one token per residue"
    return ids


def _log_softmax64(logits: np.ndarray) -> np.ndarray:
    """float64 log-softmax over the last axis."""
    return torch.log_softmax(torch.from_numpy(logits.astype(np.float64)), dim=-1).numpy()


def _masked_rows(spec: Any, model: Any, tok: Any, ids: np.ndarray, positions: Sequence[int]) -> np.ndarray:
    """[len(positions), V] float64 log-probs at each token position p, p alone masked (one copy per position)."""
    copies = np.repeat(ids[None, :], len(positions), axis=0)  # [P, L]
    copies[np.arange(len(positions)), list(positions)] = tok.mask_token_id
    logits = torch_logits(spec, model, copies, np.ones_like(copies))  # [P, L, V]
    return _log_softmax64(logits[np.arange(len(positions)), list(positions)])


def _windows(n: int, width: int, stride: int) -> list[tuple[int, int]]:
    """Residue spans of the windows: starts 0, stride, ... below n - width, and n - width."""
    if n <= width:
        return [(0, n)]
    return [(s, s + width) for s in range(0, n - width, stride)] + [(n - width, n)]


def _owner(p: int, spans: list[tuple[int, int]]) -> int:
    """The window reading residue p: largest distance to the nearer edge, the earlier on ties."""
    best, best_margin = -1, -1
    for k, (s, e) in enumerate(spans):
        if s <= p < e and min(p - s, e - 1 - p) > best_margin:
            best, best_margin = k, min(p - s, e - 1 - p)
    return best


def _marginal_scores(rows: dict[int, np.ndarray], tok: Any, mutations: Sequence[str]) -> list[float]:
    """Sum over substitutions of lp[mt] - lp[wt], ``rows[i]`` the log-probs read for residue i."""
    scores = []
    for mutation in mutations:
        scores.append(math.fsum(float(rows[i][_token_id(tok, mt)] - rows[i][_token_id(tok, wt)])
                                for wt, i, mt in _split(mutation)))
    return scores


def _token_id(tok: Any, residue: str) -> int:
    """The one token id of a residue as a pre-split word."""
    enc = tok([residue], is_split_into_words=True, add_special_tokens=False)
    assert len(enc["input_ids"]) == 1, residue
    return int(enc["input_ids"][0])


def variant_scores(spec: Any, model: Any, tok: Any, sequence: str, mutations: Sequence[str]) -> dict[str, list[float]]:
    """Every strategy's scores of ``mutations`` (input order)."""
    ids = _encode(tok, sequence)  # [N + 2]
    n = len(sequence)
    wt_lp = _log_softmax64(torch_logits(spec, model, ids[None, :], np.ones_like(ids[None, :]))[0])  # [N + 2, V]
    out = {"wt-marginals": _marginal_scores({i: wt_lp[1 + i] for i in range(n)}, tok, mutations)}
    masked = _masked_rows(spec, model, tok, ids, range(1, n + 1))  # [N, V] as predict.py: every position
    out["masked-marginals"] = _marginal_scores({i: masked[i] for i in range(n)}, tok, mutations)
    pll = {}
    for key in [""] + list(mutations):
        mutant = list(sequence)
        for _, i, mt in _split(key) if key else []:
            mutant[i] = mt
        text = "".join(mutant)
        if text not in pll:
            mids = _encode(tok, text)
            rows = _masked_rows(spec, model, tok, mids, range(1, n + 1))  # [N, V]
            pll[text] = math.fsum(float(rows[k, mids[1 + k]]) for k in range(n))
    out["pseudo-ppl"] = [pll[_mutated(sequence, m)] - pll[sequence] for m in mutations]
    width = WINDOW_MAX_LENGTH - 2
    spans = _windows(n, width, WINDOW_STRIDE)
    windowed = {}
    for i in sorted({i for m in mutations for _, i, _ in _split(m)}):
        s, e = spans[_owner(i, spans)]
        window = np.concatenate([ids[:1], ids[1 + s:1 + e], ids[-1:]])  # [W + 2] specials around the residues
        windowed[i] = _masked_rows(spec, model, tok, window, [1 + i - s])[0]
    out["masked-marginals_windowed"] = _marginal_scores(windowed, tok, mutations)
    return out


def _mutated(sequence: str, mutation: str) -> str:
    """The mutant sequence."""
    residues = list(sequence)
    for _, i, mt in _split(mutation):
        residues[i] = mt
    return "".join(residues)


def protein_variants_reference(exported: dict[str, Any], eval_lines: dict[str, Sequence[str]],
                               out: Path) -> dict[str, Any]:
    """The manifest's ``protein_variants`` section: ``cases/protein_variants_<model>.npz`` per model."""
    number, sequence = pick_wild_type(eval_lines["protein"])
    mutations = draw_mutations(sequence)
    section: dict[str, Any] = {
        "wild_type": {"file": "text/protein_eval.txt", "line_index": number, "n_residues": len(sequence)},
        "mutations": mutations,
        "offset": 1,
        "window": {"max_length": WINDOW_MAX_LENGTH, "stride": WINDOW_STRIDE},
        "tolerances": {"score_atol": SCORE_ATOL},
        "definition": __doc__.split("\n\n", 1)[1].strip() if __doc__ else "",
        "models": {},
    }
    for name in VARIANT_MODELS:
        if name not in exported:
            continue
        item = exported[name]
        scores = variant_scores(item.spec, item.model, item.tok, sequence, mutations)
        path = out / "cases" / f"protein_variants_{name}.npz"
        save_npz(path, {k.replace("-", "_"): np.asarray(v, dtype=np.float64) for k, v in scores.items()})
        section["models"][name] = {"file": f"cases/protein_variants_{name}.npz", "scores": scores}
    return section
