"""Fill-mask predictions shaped like Hugging Face's fill-mask pipeline output, with multi-token targets
(scored by pseudo-log-likelihood) and an iterative strategy for texts with several masks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from ..errors import FillMaskError
from ..limits import check_count, option_label, option_name
from .iterative import fill_iterative
from .prompts import Prompt, batch_log_probs, candidate, encode_prompts, sequence
from .sampling import Sampler, check_rng, check_sampling
from .targets import Target, pll_log_scores, resolve_targets, splice

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["fill_mask"]

STRATEGIES = ("independent", "iterative")


def fill_mask(model: MaskedLM, tokenizer: Tokenizer, text: str | Sequence[str], *, top_k: int = 5,
              targets: str | Sequence[str] | None = None,
              strategy: Literal["independent", "iterative"] = "independent", sample: bool = False,
              temperature: float | None = None, top_p: float | None = None, seed: int | None = None,
              rng: np.random.Generator | None = None, batch_size: int = 16) -> list[Any]:
    """Fill the mask tokens of ``text``, as Hugging Face's ``pipeline("fill-mask")`` does.

    ``strategy="independent"`` (the pipeline's behaviour) scores every mask from one model run, each
    as if it were the only one: ``score`` is the softmax probability, ``token`` the id, ``token_str``
    ``tokenizer.decode([token])`` (not stripped: RoBERTa's ``" cat"``), ``sequence`` the text with that
    one mask filled, padding ids dropped, decoded without special tokens -- with them when the text has
    several masks, so that the other masks show.

    ``targets`` restricts the candidates (and ``top_k`` to their number). A target that is a vocabulary
    entry or tokenizes (without special tokens) to one piece is scored as by the pipeline. A target of
    k > 1 pieces, where the pipeline would use its first piece only, replaces the mask by its k pieces
    and is scored by pseudo-log-likelihood: ``score = exp(sum_j log P(piece_j | the text with piece j
    masked alone, the other pieces present))``, its ``token`` is the list of piece ids, ``token_str``
    ``tokenizer.decode(pieces)`` and ``sequence`` the decoded text with the pieces in place. With
    several masks each target is tried at each mask in turn, the other masks staying masked. Targets
    with the same pieces count once.

    ``strategy="iterative"`` fills the mask whose best candidate is the most probable, runs the model
    again on the text with it filled, and repeats until no mask is left (``generate`` with one mask per
    step in confidence order, special tokens allowed). With ``sample=True`` (or a ``temperature`` or
    ``top_p``) it draws that mask's token instead of taking the argmax, from softmax(logits /
    temperature) cut to the ``top_k`` best and then to the smallest set holding ``top_p`` of the mass,
    with ``rng`` or ``np.random.default_rng(seed)``.

    A list of texts is answered text by text, batched (``batch_size`` texts per model run): element i is
    what ``fill_mask(..., text[i], ...)`` returns; with ``seed`` every text draws from its own
    ``default_rng(seed)``, with ``rng`` all draw from that one Generator in turn.

    Args:
        model: the ONNX masked LM.
        tokenizer: its tokenizer; ``text`` must contain its mask token.
        text: one text with one or more mask tokens, or a list of such texts.
        top_k: candidates per mask (independent; beyond the vocabulary: every token), or the sampling cut
            (iterative).
        targets: a word or a list of words to score instead of the whole vocabulary. Refused: a
            target that tokenizes to nothing or to the unknown token (the pipeline would drop or
            score ``[UNK]``); multi-piece targets with ``strategy="iterative"``.
        strategy: "independent" or "iterative".
        sample: draw instead of the argmax (iterative only).
        temperature: > 0, divides the logits when sampling (default 1).
        top_p: in (0, 1], nucleus cut when sampling (default 1: no cut).
        seed: seeds ``np.random.default_rng`` when sampling; or pass ``rng``.
        rng: the ``np.random.Generator`` to draw with.
        batch_size: texts per model run, for a list of texts.
    Returns:
        independent: for one mask, a list of ``{"score", "token", "token_str", "sequence"}`` dicts, best
        first; for several masks, one such list per mask (the pipeline's shapes).
        iterative: one dict per fill step, in fill order: ``{"mask", "score", "token", "token_str",
        "sequence"}``, ``mask`` the filled mask's number in text order (0-based), ``score`` the model's
        probability of the chosen token (temperature 1), ``sequence`` the text after the step
        (decoded with special tokens while masks remain); the last step's ``sequence`` is the result.
        For a list of texts: a list of those, one per text.

    Examples:
        >>> fill_mask(model, tok, "The cat [MASK] on the mat.")[0]["token_str"]  # doctest: +SKIP
        'sat'
        >>> fill_mask(model, tok, "The [MASK] sat on the [MASK].", strategy="iterative")[-1]["sequence"]  # doctest: +SKIP
        'the cat sat on the mat.'
    """
    top_k = check_count("top_k", top_k, hint="candidates listed per mask")
    if strategy not in STRATEGIES:
        raise FillMaskError(f"strategy={strategy!r} is not one of {list(STRATEGIES)}")
    sampling = bool(sample) or temperature is not None or top_p is not None
    if sampling and strategy != "iterative":
        names = ", ".join(option_name(name) for name in ("sample", "temperature"))
        raise FillMaskError(f"{names} and {option_name('top_p')} apply to {option_label('strategy', 'iterative')}; "
                            f"pass it, or drop them")
    if not sampling and (seed is not None or rng is not None):
        raise FillMaskError(f"seed={seed!r} / rng={rng!r} only matter when sampling; pass sample=True or drop them")
    batch_size = check_count("batch_size", batch_size, hint="texts per model call, e.g. 16")
    one = isinstance(text, str)
    texts = [text] if isinstance(text, str) else text
    if not isinstance(texts, (list, tuple)) or not texts:
        raise FillMaskError(f"text={text!r} must be a str or a non-empty list of str")
    resolved = None if targets is None else resolve_targets(tokenizer, targets)
    prompts = encode_prompts(model, tokenizer, list(texts))
    if strategy == "independent":
        results = _independent(model, tokenizer, prompts, top_k, resolved, batch_size)
        return results[0] if one else results
    multi = [t.text for t in resolved or [] if len(t.pieces) > 1]
    if multi:
        raise FillMaskError(f"targets {multi!r} are several tokens each; strategy='iterative' fills one token "
                            f"per mask: use strategy='independent' or single-token targets")
    ids = None if resolved is None else np.array([t.pieces[0] for t in resolved], dtype=np.int64)  # [C]
    samplers: list[Sampler | None] = [None] * len(prompts)
    if sampling:
        temperature, top_k, top_p = check_sampling(temperature, top_k, top_p, default_top_k=5)
        check_rng(seed, rng, why="sampling")
        samplers = [Sampler(rng if rng is not None else np.random.default_rng(seed), temperature=temperature,
                            top_k=top_k, top_p=top_p) for _ in prompts]
    results = fill_iterative(model, tokenizer, prompts, candidates=ids, samplers=samplers, batch_size=batch_size)
    return results[0] if one else results


def _independent(model: MaskedLM, tokenizer: Tokenizer, prompts: list[Prompt], top_k: int,
                 targets: list[Target] | None, batch_size: int) -> list[Any]:
    """The pipeline's answer for each prompt: every mask scored from the same model run (``batch_size``
    prompts per run)."""
    results = []
    for b in range(0, len(prompts), batch_size):
        chunk = prompts[b:b + batch_size]
        results += [_one(model, tokenizer, prompt, log_p, top_k, targets)
                    for prompt, log_p in zip(chunk, batch_log_probs(model, tokenizer, chunk))]
    return results


def _one(model: MaskedLM, tokenizer: Tokenizer, prompt: Prompt, log_p: np.ndarray, top_k: int,
         targets: list[Target] | None) -> list[Any]:
    """One prompt's candidates from its log-probabilities ``log_p`` [K, V] at its masks."""
    single_mask = len(prompt.masks) == 1
    if targets is None:
        k = min(top_k, log_p.shape[-1])
        results = [[candidate(tokenizer, prompt.ids, int(position), int(token_id), float(np.exp(row[token_id])),
                              skip_special_tokens=single_mask)
                    for token_id in np.argsort(-row, kind="stable")[:k]]  # [V] -> [k] best first
                   for position, row in zip(prompt.masks, log_p)]
        return results[0] if single_mask else results
    multi = [t for t in targets if len(t.pieces) > 1]
    pll = pll_log_scores(model, tokenizer, prompt, multi) if multi else np.zeros((len(prompt.masks), 0))  # [K, M]
    results = []
    for i, position in enumerate(prompt.masks):
        scored = [(float(np.exp(log_p[i, t.pieces[0]])), t) for t in targets if len(t.pieces) == 1]
        scored += [(float(np.exp(pll[i, m])), t) for m, t in enumerate(multi)]
        scored.sort(key=lambda pair: -pair[0])  # stable: ties keep the targets' order
        results.append([_target_candidate(tokenizer, prompt, int(position), t, score, single_mask)
                        for score, t in scored[:top_k]])
    return results[0] if single_mask else results


def _target_candidate(tokenizer: Tokenizer, prompt: Prompt, position: int, target: Target, score: float,
                      single_mask: bool) -> dict[str, Any]:
    """A target's dict: the pipeline's for one piece; for several, ``token`` lists the piece ids."""
    if len(target.pieces) == 1:
        return candidate(tokenizer, prompt.ids, position, target.pieces[0], score, skip_special_tokens=single_mask)
    ids, _ = splice(prompt, position, target.pieces)
    return {"score": score, "token": list(target.pieces),
            "token_str": tokenizer.decode(list(target.pieces), skip_special_tokens=False),
            "sequence": sequence(tokenizer, ids, skip_special_tokens=single_mask)}
