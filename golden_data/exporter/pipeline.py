"""d. The ``fill_mask`` section: Hugging Face's real fill-mask pipeline, multi-token target
pseudo-log-likelihoods and greedy iterative fills, all from the torch models.

Texts are eval lines of the model's corpus with a few tokens replaced by the mask token (character spans
from the offsets, so every masked text tokenizes to exactly that many masks). Per model:

* ``pipeline``: ``pipeline("fill-mask", model, tokenizer)(text, top_k=5[, targets])`` as returned, for
  texts with one and two masks, with and without single-token targets (vocabulary strings and decoded
  strings, one duplicate);
* ``pll``: for multi-token targets (pieces from ``tok(target, add_special_tokens=False)``) the expected
  candidates: the mask replaced by the k pieces, ``score = exp(sum_j log P(piece_j | piece j masked
  alone))`` from one torch forward per piece; single-token targets scored by the softmax at the mask;
  sorted by score, best first; the other masks of the text stay masked;
* ``iterative``: the greedy loop -- fill the mask whose best token is the most probable, forward again,
  repeat -- with each step's mask number, token, probability, ``decode([token])`` and decoded sequence
  (special tokens kept while masks remain, dropped after the last step).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast, pipeline

from .models import torch_logits
from .specs import ExportError, ModelSpec

TOP_K = 5
N_TARGET_PIECES = (2, 4)  # multi-token targets: this many pieces, at least and at most
MIN_SPANS, MAX_TOKENS = 5, 40  # the eval lines used: at least 5 words (or residues), at most 40 tokens


def spans(tok: PreTrainedTokenizerFast, line: str) -> list[tuple[int, int]]:
    """Character spans that may be masked: the words of an English line, the tokens (residues) of a protein."""
    words = [match.span() for match in re.finditer(r"\w+", line)]
    if len(words) >= MIN_SPANS:
        return words
    return [(s, e) for s, e in tok(line, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
            if e > s]


def masked_text(tok: PreTrainedTokenizerFast, line: str, fractions: Sequence[float]) -> str:
    """``line`` with the spans at these fractions of its length replaced by the mask token."""
    units = spans(tok, line)
    chosen = sorted({units[min(int(f * len(units)), len(units) - 1)] for f in fractions}, reverse=True)
    text = line
    for start, end in chosen:
        text = text[:start] + tok.mask_token + text[end:]
    if tok(text)["input_ids"].count(tok.mask_token_id) != len(chosen) or len(chosen) != len(fractions):
        raise ExportError(f"fill-mask text {text!r} does not tokenize to {len(fractions)} masks")
    return text


def pieces_of(tok: PreTrainedTokenizerFast, target: str) -> list[int]:
    """The pipeline's resolution, all pieces kept: the vocabulary entry, else the tokenization."""
    token_id = tok.get_vocab().get(target)
    return [token_id] if token_id is not None else tok(target, add_special_tokens=False)["input_ids"]


def single_targets(tok: PreTrainedTokenizerFast, text: str, lines: Sequence[str]) -> list[str]:
    """Single-token targets: the vocabulary strings of the text's tokens, decoded strings of the eval
    lines' tokens that tokenize back to one piece, and the first decoded string again (a duplicate)."""
    specials = set(tok.all_special_ids)
    own = [i for i in tok(text)["input_ids"] if i not in specials]
    vocab_strings = tok.convert_ids_to_tokens(own[:2])
    decoded = []
    for line in lines[4:]:
        for token_id in tok(line, add_special_tokens=False)["input_ids"]:
            word = tok.decode([token_id])
            if token_id not in specials and word.strip() and pieces_of(tok, word) == [token_id]:
                decoded.append(word)
        if len(set(decoded)) >= 3:
            break
    decoded = list(dict.fromkeys(decoded))[:3]
    return vocab_strings + decoded + decoded[:1]


def multi_targets(tok: PreTrainedTokenizerFast, lines: Sequence[str]) -> list[str]:
    """Two words of the eval lines, after a space (as mid-sentence: RoBERTa's ``Ġword``), that tokenize to 2-4
    known pieces (else 2- and 3-character prefixes of words: protein lines are one word)."""
    words = list(dict.fromkeys(word for line in lines for word in re.findall(r"\w+", line)))
    found = []
    for candidate in [" " + word for word in words] + [word[:n] for word in words for n in (2, 3)]:
        pieces = pieces_of(tok, candidate)
        if N_TARGET_PIECES[0] <= len(pieces) <= N_TARGET_PIECES[1] and tok.unk_token_id not in pieces:
            found.append(candidate)
        if len(found) == 2:
            return found
    raise ExportError("no multi-token target words in the eval lines")


def log_probs(spec: ModelSpec, model: PreTrainedModel, ids: Sequence[int]) -> torch.Tensor:
    """float64 log-softmax [L, V] of one sequence's float32 torch logits."""
    array = np.asarray([ids], dtype=np.int64)
    logits = torch_logits(spec, model, array, np.ones_like(array))[0]
    return torch.log_softmax(torch.from_numpy(logits).double(), dim=-1)


def decode_sequence(tok: PreTrainedTokenizerFast, ids: Sequence[int], *, skip_special_tokens: bool) -> str:
    """The pipeline's ``sequence``: pad ids dropped, then decoded."""
    return tok.decode([i for i in ids if i != tok.pad_token_id], skip_special_tokens=skip_special_tokens)


def pll_candidates(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, text: str,
                   targets: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Per mask, every target's expected candidate, best first (single-token: softmax; else PLL)."""
    ids = tok(text)["input_ids"]
    masks = [p for p, i in enumerate(ids) if i == tok.mask_token_id]
    plain = log_probs(spec, model, ids)  # [L, V]
    skip = len(masks) == 1
    per_mask = []
    for position in masks:
        scored = []
        for target in dict.fromkeys(targets):
            pieces = pieces_of(tok, target)
            filled = ids[:position] + pieces + ids[position + 1:]
            if len(pieces) == 1:
                score = float(plain[position, pieces[0]].exp())
                token: Any = pieces[0]
            else:
                total = 0.0
                for j, piece in enumerate(pieces):
                    copy = list(filled)
                    copy[position + j] = tok.mask_token_id
                    total += float(log_probs(spec, model, copy)[position + j, piece])
                score, token = float(np.exp(total)), list(pieces)
            scored.append({"score": score, "token": token, "token_str": tok.decode(pieces),
                           "sequence": decode_sequence(tok, filled, skip_special_tokens=skip)})
        per_mask.append(sorted(scored, key=lambda c: -c["score"]))
    return per_mask


def greedy_fill(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, text: str) -> list[dict]:
    """The greedy iterative fill: the most confident mask first, one torch forward per step."""
    ids = tok(text)["input_ids"]
    masks = [p for p, i in enumerate(ids) if i == tok.mask_token_id]
    remaining = list(range(len(masks)))
    steps = []
    while remaining:
        log_p = log_probs(spec, model, ids)  # [L, V]
        best = [log_p[masks[m]].max() for m in remaining]
        r = int(np.argmax([float(b) for b in best]))
        number = remaining.pop(r)
        token = int(log_p[masks[number]].argmax())
        ids[masks[number]] = token
        steps.append({"mask": number, "score": float(log_p[masks[number], token].exp()), "token": token,
                      "token_str": tok.decode([token]),
                      "sequence": decode_sequence(tok, ids, skip_special_tokens=not remaining)})
    return steps


def fill_mask_reference(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast,
                        lines: Sequence[str]) -> dict[str, Any]:
    """The ``fill_mask`` manifest entry of one model (see the module docstring)."""
    lines = [line for line in lines if MIN_SPANS <= len(spans(tok, line)) and len(tok(line)["input_ids"]) <= MAX_TOKENS]
    one = masked_text(tok, lines[0], [0.5])
    two = masked_text(tok, lines[2], [0.25, 0.7])
    three = masked_text(tok, lines[3], [0.2, 0.5, 0.8])
    fill = pipeline("fill-mask", model=model, tokenizer=tok)
    runs = [{"text": text, "top_k": TOP_K, "targets": None} for text in (one, two)]
    runs += [{"text": text, "top_k": TOP_K, "targets": single_targets(tok, text, lines)} for text in (one, two)]
    for run in runs:
        options = {"top_k": TOP_K} if run["targets"] is None else {"top_k": TOP_K, "targets": run["targets"]}
        run["result"] = fill(run["text"], **options)
    words = multi_targets(tok, lines) + single_targets(tok, one, lines)[:1]
    return {
        "pipeline": runs,
        "pll": [{"text": text, "targets": words, "result": pll_candidates(spec, model, tok, text, words)}
                for text in (one, two)],
        "iterative": [{"text": text, "steps": greedy_fill(spec, model, tok, text)} for text in (two, three)],
    }
