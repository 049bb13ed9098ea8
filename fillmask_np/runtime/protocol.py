"""The ``MaskedLM`` protocol: what every verb needs of a model, so that any backend can plug in.

``evaluate``, ``compare``, ``pseudo_log_likelihood`` and ``fill_mask`` use a model through these members
only. ``OnnxMaskedLM`` implements it; a second backend implements the same members and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..errors import FillMaskError, ModelError, TokenizerError
from ..limits import option_label, option_name

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenization import Tokenizer

__all__ = ["MaskedLM", "check_model", "check_pair", "check_positions", "check_inputs", "check_max_length", "default_max_length"]

DEFAULT_MAX_LENGTH = 512  # when neither the model nor the tokenizer knows a limit


@runtime_checkable
class MaskedLM(Protocol):
    """A masked language model as the verbs use it.

    Members:
        name: how messages and reports name the model (its path, for a file).
        vocab_size: width of its logits, or None until it has run once.
        max_length: longest sequence it accepts, or None when unknown.
        gathers_positions: True when ``masked_logits`` computes the scored rows only (no [B, L, V] logits);
            the verbs then budget their passes by masked tokens instead of rows x length.
        input_names: the inputs it consumes (``input_ids``, ``attention_mask``, ...).
        files: the files it was read from (weights, external data, config.json), so that no output of a run
            overwrites one of them; empty for a model held in memory only.
    """

    @property
    def name(self) -> str: ...

    @property
    def vocab_size(self) -> int | None: ...

    @property
    def max_length(self) -> int | None: ...

    @property
    def gathers_positions(self) -> bool: ...

    @property
    def input_names(self) -> tuple[str, ...]: ...

    @property
    def files(self) -> tuple[str, ...]: ...

    def check_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Raise ``TokenizerError`` when ``tokenizer`` cannot belong to this model."""

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        """[B, L] int ids, mask, types and [M, 2] (batch index, position) -> [M, V] float logits at those positions."""

    def describe(self) -> dict[str, Any]:
        """A JSON-ready record of the model for provenance (path, sha256, backend facts)."""


def check_model(model: Any, *, what: str = "model") -> MaskedLM:
    """``model`` if it implements ``MaskedLM``, else a ``FillMaskError`` naming what it is.

    >>> check_model(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fillmask_np.errors.FillMaskError: model=None is not a masked LM: ...
    """
    if not isinstance(model, MaskedLM):
        raise FillMaskError(f"{what}={model!r} is not a masked LM: pass fm.OnnxMaskedLM('model.onnx') or another "
                            f"MaskedLM")
    return model


def check_pair(model: Any, tokenizer: Any, *, what: str = "model") -> MaskedLM:
    """``model`` once it is a ``MaskedLM``, ``tokenizer`` a ``Tokenizer``, and the two fit (``check_tokenizer``).

    Args:
        model: the masked LM a task was given.
        tokenizer: the tokenizer it was given.
        what: the keyword that named the model, as messages name it.
    Returns:
        ``model``; a ``FillMaskError`` (``TokenizerError`` for the tokenizer) names what is wrong.
    """
    from ..tokenization import Tokenizer

    checked = check_model(model, what=what)
    if not isinstance(tokenizer, Tokenizer):
        raise TokenizerError(f"tokenizer={tokenizer!r} is not a Tokenizer: pass fm.Tokenizer.from_dir('model_dir') "
                             f"or fm.Tokenizer.from_file('tokenizer.json')")
    checked.check_tokenizer(tokenizer)
    return checked


def default_max_length(model: MaskedLM, tokenizer: Tokenizer) -> int:
    """The longest sequence to feed: the smaller of the model's and the tokenizer's limits (512 when neither)."""
    limits = [n for n in (model.max_length, tokenizer.model_max_length) if n]
    return min(limits) if limits else DEFAULT_MAX_LENGTH


def check_max_length(model: MaskedLM, tokenizer: Tokenizer, max_length: int | None) -> int:
    """``max_length`` (default: ``default_max_length``), refused up front when the model cannot take it.

    >>> check_max_length(model, tok, 10**6)  # doctest: +SKIP
    Traceback (most recent call last):
    FillMaskError: max_length=1000000 exceeds the model's limit of 512 tokens ...
    """
    if max_length is None:
        return default_max_length(model, tokenizer)
    limit = model.max_length
    if limit is not None and max_length > limit:
        raise ModelError(f"{option_label('max_length', max_length)} exceeds the limit of model {model.name!r} ({limit} "
                         f"tokens: its fixed length or position embeddings); pass {option_name('max_length')} <= {limit}")
    return int(max_length)


def check_positions(positions: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``positions`` as an int64 [M, 2] array of (batch index, position) inside a [B, L] batch.

    >>> check_positions(np.array([[0, 1]]), (1, 3)).tolist()
    [[0, 1]]
    """
    positions = np.asarray(positions)
    if positions.ndim != 2 or positions.shape[1] != 2 or not (positions.size == 0 or
                                                               np.issubdtype(positions.dtype, np.integer)):
        raise FillMaskError(f"positions must be an integer [M, 2] array of (batch index, position) pairs, "
                            f"got {positions.dtype} {positions.shape}")
    positions = positions.astype(np.int64)
    if len(positions) and (positions.min() < 0 or np.any(positions.max(axis=0) >= np.array(shape[:2]))):
        raise FillMaskError(f"positions fall outside the [{shape[0]}, {shape[1]}] batch; pass (batch index, "
                            f"position) pairs inside it")
    return positions


def check_inputs(input_ids: Any, attention_mask: Any, token_type_ids: Any,
                 vocab_size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The [B, L] model inputs as integer arrays, or a ``FillMaskError`` naming what is wrong with them.

    Ids must be integers in ``[0, vocab_size)`` (ONNX Runtime would wrap a negative id silently), the mask
    and token types integer arrays of the same shape.

    >>> check_inputs(np.array([[1, 2]]), np.array([[1, 1]]), None, 5)[0].tolist()
    [[1, 2]]
    """
    arrays: list[np.ndarray] = []
    for name, value in (("input_ids", input_ids), ("attention_mask", attention_mask),
                        ("token_type_ids", token_type_ids)):
        if value is None and name == "token_type_ids":
            continue
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as exc:  # ragged rows, or objects numpy cannot stack
            raise FillMaskError(f"{name} is not a [batch, length] array ({exc}); pad the rows to one length, e.g. "
                                f"with Tokenizer.encode_batch") from exc
        boolean_ok = name == "attention_mask" and array.dtype == bool  # a boolean mask means 1/0; boolean ids do not
        if array.ndim != 2 or not (np.issubdtype(array.dtype, np.integer) or boolean_ok):
            raise FillMaskError(f"{name} must be a 2-D integer [batch, length] array, got {array.dtype} of shape "
                                f"{array.shape}; encode texts with Tokenizer.encode_batch (add a batch axis with "
                                f"ids[None, :])")
        if arrays and array.shape != arrays[0].shape:
            raise FillMaskError(f"{name} has shape {array.shape} but input_ids {arrays[0].shape}; they must match")
        arrays.append(array)
    ids = arrays[0]
    if ids.size and (ids.min() < 0 or (vocab_size is not None and ids.max() >= vocab_size)):
        bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
        raise FillMaskError(f"input id {bad} is outside the model's vocabulary [0, {vocab_size}); the ids come from "
                            f"another tokenizer or were corrupted: pass the model's tokenizer")
    return ids, arrays[1], arrays[2] if token_type_ids is not None else None
