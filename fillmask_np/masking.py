"""MLM masking, draw for draw identical to Hugging Face's numpy collator.

``mask_tokens`` reproduces ``transformers.DataCollatorForLanguageModeling(...,
return_tensors="np").numpy_mask_tokens`` (transformers 5.x) given a ``numpy.random.Generator`` in
the same state. The order of draws is part of the contract:

1. ``rng.binomial(1, p, size=shape)`` selects positions, with ``p = mlm_probability`` and 0 on the
   special-token positions (the draw still covers every position);
2. ``rng.binomial(1, mask_replace_prob, size=shape)`` over every position: selected ones become
   ``mask_token_id``;
3. unless ``mask_replace_prob == 1`` or ``random_replace_prob == 0``:
   ``rng.binomial(1, random_replace_prob / (1 - mask_replace_prob), size=shape)`` over every
   position picks, among the selected-but-not-``[MASK]``ed ones, those that get a random token, and
   ``rng.integers(0, vocab_size, size=count, dtype=int64)`` draws those tokens in row-major order.
   The rest keep their original token.
"""

from __future__ import annotations

import numpy as np

from .errors import MaskingError

__all__ = ["mask_tokens", "sample_rng", "validate_probabilities", "validate_seed"]

IGNORE_INDEX = -100


def validate_probabilities(
    mlm_probability: float, mask_replace_prob: float, random_replace_prob: float
) -> None:
    """Raise ``MaskingError`` unless the three masking probabilities make sense.

    Args:
        mlm_probability: share of maskable tokens selected, in (0, 1].
        mask_replace_prob: share of selected tokens replaced by the mask token, in [0, 1].
        random_replace_prob: share replaced by a random token, in [0, 1]; the two shares sum to <= 1.

    >>> validate_probabilities(0.15, 0.8, 0.1)
    """
    if not (0.0 < float(mlm_probability) <= 1.0):
        raise MaskingError(f"mlm_probability={mlm_probability!r} must be in (0, 1]; the usual value is 0.15")
    for name, value in (("mask_replace_prob", mask_replace_prob), ("random_replace_prob", random_replace_prob)):
        if not (0.0 <= float(value) <= 1.0):
            raise MaskingError(f"{name}={value!r} must be in [0, 1] (defaults: 0.8 and 0.1)")
    if float(mask_replace_prob) + float(random_replace_prob) > 1.0:
        raise MaskingError(
            f"mask_replace_prob + random_replace_prob = {mask_replace_prob!r} + {random_replace_prob!r} "
            f"exceeds 1; the remainder 1 - both is the share kept unchanged, so lower one of them"
        )


def validate_seed(seed: int) -> int:
    """Return ``seed`` as an int, or raise ``MaskingError`` unless it is a non-negative integer.

    >>> validate_seed(42)
    42
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise MaskingError(f"seed={seed!r} must be a non-negative integer, e.g. 0 or 42")
    return int(seed)


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The Generator that masks sample ``index`` of an evaluation seeded with ``seed``.

    Per-sample masking makes every sample's mask independent of batch size, order and bucketing.

    >>> int(sample_rng(0, 3).integers(0, 10**6)) == int(np.random.default_rng([0, 3]).integers(0, 10**6))
    True
    """
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
    inputs = np.array(input_ids, dtype=np.int64, copy=True)  # never touch the caller's array
    special = np.asarray(special_tokens_mask).astype(bool)
    if inputs.ndim != 2 or special.shape != inputs.shape:
        raise MaskingError(
            f"input_ids shape {inputs.shape} and special_tokens_mask shape {special.shape} must be the "
            f"same 2-D [batch, length] shape; add a batch axis with ids[None, :]"
        )
    if int(vocab_size) < 1 or int(mask_token_id) < 0:
        raise MaskingError(f"vocab_size={vocab_size!r} and mask_token_id={mask_token_id!r} must be a positive "
                           f"size and a non-negative id; pass len(tokenizer) and tokenizer.mask_token_id")
    labels = inputs.copy()

    probability = np.full(inputs.shape, float(mlm_probability))  # [B, L] float64
    probability[special] = 0.0
    selected = rng.binomial(1, probability, size=probability.shape).astype(bool)
    labels[~selected] = IGNORE_INDEX

    replaced = rng.binomial(1, float(mask_replace_prob), size=inputs.shape).astype(bool) & selected
    inputs[replaced] = int(mask_token_id)
    if mask_replace_prob == 1 or random_replace_prob == 0:
        return inputs, labels

    scaled = float(random_replace_prob) / (1.0 - float(mask_replace_prob))
    randomised = rng.binomial(1, scaled, size=inputs.shape).astype(bool) & selected & ~replaced
    words = rng.integers(low=0, high=int(vocab_size), size=np.count_nonzero(randomised), dtype=np.int64)
    inputs[randomised] = words  # boolean assignment is row-major, as HF's
    return inputs, labels
