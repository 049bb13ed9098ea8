"""MLM masking, draw for draw identical to Hugging Face's numpy collator.

``mask_tokens`` reproduces ``transformers.DataCollatorForLanguageModeling(...,
return_tensors="np").numpy_mask_tokens`` (transformers 5.x) given a ``numpy.random.Generator`` in
the same state. The order of draws is part of the contract:

1. ``rng.binomial(1, p, size=shape)`` selects positions, with ``p = mlm_probability`` and 0 on the
   special-token positions (the draw still covers every position);
2. ``rng.binomial(1, mask_replace_prob, size=shape)`` over every position: selected ones become
   ``mask_token_id``;
3. unless ``mask_replace_prob == 1`` or ``random_replace_prob == 0``:
   ``rng.binomial(1, random_replace_prob / (1 - mask_replace_prob), size=shape)`` (capped at 1) over every
   position picks, among the selected-but-not-``[MASK]``ed ones, those that get a random token, and
   ``rng.integers(0, vocab_size, size=count, dtype=int64)`` draws those tokens in row-major order.
   The rest keep their original token.

Whole-word masking (``whole_word=True``) is the whole-word option of the same collator
(transformers >= 5.0): a token starts a new word when it is not special and its character span does
not start where the previous token's ended (or the previous token was special); step 1 draws only
for word-initial tokens, and every token of a selected word is selected. HF forces
``mask_replace_prob = 1`` with whole-word masking (every selected token becomes the mask token), so
``mask_tokens`` asks for exactly that.
"""

from __future__ import annotations

import numpy as np

from ..config import validate_probabilities, validate_seed
from ..errors import MaskingError
from ..limits import is_int

__all__ = ["mask_tokens", "sample_rng", "validate_probabilities", "validate_seed"]

IGNORE_INDEX = -100


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The Generator that masks sample ``index`` of an evaluation seeded with ``seed``.

    Per-sample masking makes every sample's mask independent of batch size, order and bucketing.

    >>> int(sample_rng(0, 3).integers(0, 10**6)) == int(np.random.default_rng([0, 3]).integers(0, 10**6))
    True
    """
    if not is_int(index) or index < 0:
        raise MaskingError(f"index={index!r} must be a sample's number, an integer >= 0")
    return np.random.default_rng([validate_seed(seed), int(index)])


def mask_tokens(
    input_ids: np.ndarray,
    *,
    special_tokens_mask: np.ndarray,
    mask_token_id: int,
    vocab_size: int,
    rng: np.random.Generator,
    mlm_probability: float = 0.15,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    whole_word: bool = False,
    offsets: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mask a padded batch the MLM way, exactly as Hugging Face's numpy collator does.

    The caller's arrays are not modified.

    Args:
        input_ids: [B, L] integer token ids (padding included).
        special_tokens_mask: [B, L], nonzero where a token must never be selected (specials, padding).
        mask_token_id: id written over selected tokens (``[MASK]`` / ``<mask>``).
        vocab_size: random replacements are drawn from ``[0, vocab_size)``; HF uses ``len(tokenizer)``.
        rng: the Generator to draw from; it is advanced exactly as HF's collator advances it.
        mlm_probability: selection probability of each maskable token.
        mask_replace_prob: share of selected tokens replaced by ``mask_token_id``.
        random_replace_prob: share of selected tokens replaced by a random token.
        whole_word: select whole words (see the module docstring); needs ``offsets`` and
            ``mask_replace_prob=1.0``.
        offsets: [B, L, 2] character spans of the tokens (``Encoded.offsets``), for ``whole_word``.
    Returns:
        ``(masked_ids, labels)``: int64 [B, L]; labels hold the original id at selected positions
        and -100 elsewhere.

    >>> ids = np.array([[101, 7, 8, 9, 102]])
    >>> _, labels = mask_tokens(ids, special_tokens_mask=np.array([[1, 0, 0, 0, 1]]), mask_token_id=103,
    ...                         vocab_size=200, rng=np.random.default_rng(0), mlm_probability=1.0)
    >>> labels.tolist()
    [[-100, 7, 8, 9, -100]]
    """
    validate_probabilities(mlm_probability, mask_replace_prob, random_replace_prob)
    if not isinstance(rng, np.random.Generator):
        raise MaskingError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; pass np.random.default_rng(seed)"
        )
    given = np.asarray(input_ids)
    if not np.issubdtype(given.dtype, np.integer):
        raise MaskingError(f"input_ids must be integer token ids, got dtype {given.dtype}; encode texts with "
                           f"Tokenizer.encode_batch")
    inputs = np.array(given, dtype=np.int64, copy=True)  # never touch the caller's array
    special = np.asarray(special_tokens_mask).astype(bool)
    if inputs.ndim != 2 or special.shape != inputs.shape:
        raise MaskingError(
            f"input_ids shape {inputs.shape} and special_tokens_mask shape {special.shape} must be the "
            f"same 2-D [batch, length] shape; add a batch axis with ids[None, :]"
        )
    if not (is_int(vocab_size) and is_int(mask_token_id)) or int(vocab_size) < 1 or int(mask_token_id) < 0:
        raise MaskingError(f"vocab_size={vocab_size!r} and mask_token_id={mask_token_id!r} must be a positive "
                           f"size and a non-negative id; pass len(tokenizer) and tokenizer.mask_token_id")
    labels = inputs.copy()

    probability = np.full(inputs.shape, float(mlm_probability))  # [B, L] float64
    if whole_word:
        word_ids, starts = _words(_check_whole_word(offsets, inputs.shape, mask_replace_prob), special)  # [B, L]
        probability[~starts] = 0.0
    else:
        probability[special] = 0.0
    selected = rng.binomial(1, probability, size=probability.shape).astype(bool)
    if whole_word:
        selected = _expand_to_words(word_ids, selected)
    labels[~selected] = IGNORE_INDEX

    replaced = rng.binomial(1, float(mask_replace_prob), size=inputs.shape).astype(bool) & selected
    inputs[replaced] = int(mask_token_id)
    if mask_replace_prob == 1 or random_replace_prob == 0:
        return inputs, labels

    # HF's share of the not-[MASK]ed selected tokens; when the two shares sum to 1 (nothing kept) the division
    # can round above 1 (0.1 / (1 - 0.9) = 1.0000000000000002), where HF's collator raises numpy's ValueError:
    # the intended share is 1, and below 1 the value is HF's own, so the draws match HF's wherever it runs
    scaled = min(1.0, float(random_replace_prob) / (1.0 - float(mask_replace_prob)))
    randomised = rng.binomial(1, scaled, size=inputs.shape).astype(bool) & selected & ~replaced
    words = rng.integers(low=0, high=int(vocab_size), size=np.count_nonzero(randomised), dtype=np.int64)
    inputs[randomised] = words  # boolean assignment is row-major, as HF's
    return inputs, labels


def _check_whole_word(offsets: np.ndarray | None, shape: tuple[int, ...], mask_replace_prob: float) -> np.ndarray:
    if float(mask_replace_prob) != 1.0:
        raise MaskingError(f"whole-word masking replaces every selected token with the mask token (HF's collator "
                           f"forces mask_replace_prob=1); pass mask_replace_prob=1.0, not {mask_replace_prob!r}")
    if offsets is None:
        raise MaskingError("whole-word masking needs the tokens' character offsets; pass offsets=encoded.offsets")
    offsets = np.asarray(offsets)
    if offsets.shape != (*shape, 2):
        raise MaskingError(f"offsets shape {offsets.shape} must be input_ids.shape + (2,) = {(*shape, 2)}")
    return offsets


def _words(offsets: np.ndarray, special: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """([B, L] word number, -1 on special tokens; [B, L] True on word-initial tokens), as HF's
    ``_calc_word_ids_and_prob_mask``."""
    prev_end = np.roll(offsets[:, :, 1], 1, axis=1)  # [B, L]
    prev_end[:, 0] = -1
    prev_special = np.roll(special, 1, axis=1)
    prev_special[:, 0] = False
    starts = ~special & ((offsets[:, :, 0] != prev_end) | prev_special)
    word_ids = np.cumsum(starts, axis=1)
    word_ids[special] = -1
    return word_ids, starts


def _expand_to_words(word_ids: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Select every token of a word one of whose tokens was selected (HF's ``_whole_word_mask``)."""
    out = np.zeros_like(selected)
    for b in range(word_ids.shape[0]):
        out[b] = np.isin(word_ids[b], word_ids[b][selected[b]]) & (word_ids[b] != -1)
    return out
