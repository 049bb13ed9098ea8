"""Hugging Face tokenizers for masked LMs: load, find the special tokens, encode, pad, truncate.

Loads a ``tokenizer.json``, a model directory, a BERT ``vocab.txt`` (WordPiece) or a RoBERTa
``vocab.json`` + ``merges.txt`` (byte-level BPE). Truncation and padding baked into a
tokenizer.json are switched off: this module's own ``max_length``/``padding`` settings win.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np

from ..errors import InputFileError, TokenizerError
from ..limits import option_label
from . import loaders
from .batch import Encoded, Row, pad_rows
from .special_tokens import CANDIDATES, ROLES, check_policy

if TYPE_CHECKING:  # pragma: no cover
    import tokenizers

__all__ = ["Tokenizer", "Encoded", "Row", "MAX_CHARS_PER_TOKEN"]

# with max_length set, a text is cut to max_length x this many characters before tokenizing (counted as
# truncated): a 10 MB line no longer costs gigabytes; a text loses nothing unless its kept tokens would
# average more than this many characters
MAX_CHARS_PER_TOKEN = 256


class Tokenizer:
    """A fast Hugging Face tokenizer with the special tokens a masked LM needs.

    >>> tok = Tokenizer.from_file("tokenizer.json")  # doctest: +SKIP
    >>> batch = tok.encode_batch(["The cat sat."], max_length=128)  # doctest: +SKIP
    """

    def __init__(self, backend: tokenizers.Tokenizer, *, special_tokens: dict[str, str | None] | None = None,
                 model_max_length: int | None = None, source: str = "<memory>",
                 other_special_tokens: Sequence[str] = ()) -> None:
        self.backend = backend
        self.source = source
        self._lock = threading.Lock()  # encode_rows sets truncation on the shared backend per call
        backend.no_truncation()
        backend.no_padding()
        special_tokens = dict(special_tokens or {})
        added = {t.content for t in backend.get_added_tokens_decoder().values()}
        self._tokens: dict[str, str | None] = {}
        for role in ROLES:
            named = special_tokens.get(role)
            if named is None:  # fall back to a conventional spelling present among the added tokens
                named = next((c for c in CANDIDATES[role] if c in added), None)
            if named is not None and backend.token_to_id(named) is None:
                raise TokenizerError(f"{role} token {named!r} from {source!r} is not in the tokenizer's vocabulary")
            self._tokens[role] = named
        self._other_specials = [t for t in other_special_tokens if backend.token_to_id(t) is not None]
        self.model_max_length = model_max_length

    # ----------------------------------------------------------------------------- loading
    @classmethod
    def from_file(cls, path: str | Path, **overrides: str) -> Tokenizer:
        """Load a ``tokenizer.json``; special tokens come from a ``tokenizer_config.json`` beside it.

        Args:
            path: the tokenizer.json file.
            **overrides: ``mask_token=...``, ``pad_token=...`` etc. to name special tokens explicitly.
        """
        return cls(**loaders.from_tokenizer_json(_path(path, "path"), overrides))

    @classmethod
    def from_dir(cls, directory: str | Path, **overrides: str) -> Tokenizer:
        """Load from a model directory: ``tokenizer.json``, else ``vocab.txt``, else ``vocab.json`` + ``merges.txt``."""
        return cls(**loaders.from_directory(_path(directory, "directory"), overrides))

    @classmethod
    def from_wordpiece(cls, vocab_txt: str | Path, *, do_lower_case: bool | None = None, **overrides: str) -> Tokenizer:
        """Build BERT's WordPiece tokenizer from ``vocab.txt`` (``do_lower_case`` from tokenizer_config.json)."""
        return cls(**loaders.from_vocab_txt(_path(vocab_txt, "vocab_txt"), overrides, do_lower_case=do_lower_case))

    @classmethod
    def from_bpe(cls, vocab_json: str | Path, merges_txt: str | Path, **overrides: str) -> Tokenizer:
        """Build RoBERTa's byte-level BPE tokenizer from ``vocab.json`` + ``merges.txt``.

        ``<mask>`` strips the space on its left, as in Hugging Face's RobertaTokenizerFast.
        """
        return cls(**loaders.from_vocab_json(_path(vocab_json, "vocab_json"), _path(merges_txt, "merges_txt"),
                                             overrides))

    # ----------------------------------------------------------------------------- special ids
    def _id(self, role: str) -> int | None:
        token = self._tokens[role]
        return None if token is None else self._vocab_id(token)

    def _vocab_id(self, token: str) -> int:
        found = self.backend.token_to_id(token)
        if found is None:  # the constructor keeps only tokens of the vocabulary
            raise TokenizerError(f"token {token!r} is not in the vocabulary of tokenizer {self.source!r}")
        return found

    def has_token(self, role: str) -> bool:
        """Whether the tokenizer names a token for ``role`` ("mask", "pad", "cls", "sep", "unk")."""
        return self._tokens.get(role) is not None

    @property
    def mask_token(self) -> str:
        """The mask token's text; raises ``TokenizerError`` if the tokenizer has none."""
        if self._tokens["mask"] is None:
            raise TokenizerError(
                f"tokenizer {self.source!r} has no mask token (looked for {list(CANDIDATES['mask'])}); "
                f"pass mask_token=... or use a masked-LM tokenizer"
            )
        return self._tokens["mask"]

    @property
    def mask_token_id(self) -> int:
        """Id of the mask token (``[MASK]``, ``<mask>``)."""
        return self._vocab_id(self.mask_token)

    @property
    def pad_token_id(self) -> int:
        """Id used for padding: the pad token's, or 0 when the tokenizer has none (padding is never attended)."""
        pad = self._id("pad")
        return 0 if pad is None else pad

    @property
    def cls_token_id(self) -> int | None:
        """Id of ``[CLS]`` / ``<s>``, or None."""
        return self._id("cls")

    @property
    def sep_token_id(self) -> int | None:
        """Id of ``[SEP]`` / ``</s>``, or None."""
        return self._id("sep")

    @property
    def unk_token_id(self) -> int | None:
        """Id of ``[UNK]`` / ``<unk>``, or None."""
        return self._id("unk")

    @property
    def all_special_ids(self) -> list[int]:
        """Ids of the named special tokens (bos, eos, unk, sep, pad, cls, mask) and the config's
        additional/extra special tokens, sorted: Hugging Face's ``tokenizer.all_special_ids``."""
        names = [t for t in self._tokens.values() if t is not None] + self._other_specials
        return sorted({self._vocab_id(t) for t in names})

    def __len__(self) -> int:
        """Vocabulary size with added tokens, as Hugging Face's ``len(tokenizer)``."""
        return int(self.backend.get_vocab_size(with_added_tokens=True))

    def __repr__(self) -> str:
        return f"Tokenizer({self.source!r}, len={len(self)}, mask={self._tokens['mask']!r})"

    # ----------------------------------------------------------------------------- encoding
    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        max_length: int | None = None,
        padding: Literal["longest", "max_length"] = "longest",
        pad_to_multiple_of: int | None = None,
        special_tokens: Literal["template", "all_special_ids"] = "template",
    ) -> Encoded:
        """Encode and pad a batch (special tokens added, truncated on the right to ``max_length``).

        Args:
            texts: the strings.
            max_length: truncate longer encodings to this many tokens (specials included);
                None keeps everything.
            padding: "longest" pads to the longest row; "max_length" pads every row to ``max_length``.
            pad_to_multiple_of: round the padded length up to a multiple of this.
            special_tokens: which tokens ``special_tokens_mask`` marks: "template" (the tokens the
                tokenizer added, as ``return_special_tokens_mask=True``) or "all_special_ids" (every
                special id wherever it occurs, as HF's collator without a precomputed mask).
        Returns:
            an ``Encoded`` batch of int64 [B, L] arrays.
        """
        rows = self.encode_rows(texts, max_length=max_length, special_tokens=special_tokens)
        if padding == "max_length":
            if max_length is None:
                raise TokenizerError("padding='max_length' needs max_length=...; or use padding='longest'")
            width = max_length
        elif padding == "longest":
            width = max((len(r[0]) for r in rows), default=0)
        else:
            raise TokenizerError(f"padding={padding!r} is not 'longest' or 'max_length'")
        return self.pad(rows, length=width, pad_to_multiple_of=pad_to_multiple_of)

    def encode_rows(self, texts: Sequence[str], *, max_length: int | None = None,
                    special_tokens: Literal["template", "all_special_ids"] = "template",
                    word_ids: bool = False) -> list[Row]:
        """Encode without padding: one ``Row`` per text (see ``encode_batch`` for the options).

        ``word_ids=True`` also fills ``Row.word_ids``: the backend's word of each token (its pre-tokenizer's
        words: WordPiece splits on whitespace and punctuation, byte-level BPE keeps a leading space with its
        word), exactly Hugging Face's ``BatchEncoding.word_ids()``, with -1 for its None (added tokens).
        With ``max_length``, a text longer than ``max_length * MAX_CHARS_PER_TOKEN`` characters is cut to that
        before tokenizing, and its row counts as truncated.
        """
        check_policy(special_tokens)
        if isinstance(texts, str):
            raise TokenizerError("encode_batch takes a list of strings, got one str; wrap it: [text]")
        backend = self.backend
        if max_length is not None:
            floor = backend.num_special_tokens_to_add(False) + 1
            if max_length < floor:
                raise TokenizerError(f"{option_label('max_length', max_length)} leaves no room for text; min. {floor}")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TokenizerError(f"texts[{i}] is {type(text).__name__} {text!r}, not a string; pass a list of "
                                     f"strings")
        cut = [False] * len(texts)
        if max_length is not None:  # bound the work: only max_length tokens are kept anyway
            limit = int(max_length) * MAX_CHARS_PER_TOKEN
            cut = [len(t) > limit for t in texts]
            texts = [t[:limit] if c else t for t, c in zip(texts, cut)]
        with self._lock:
            if max_length is not None:
                backend.enable_truncation(int(max_length))
            try:
                encodings = backend.encode_batch(texts)
            finally:
                backend.no_truncation()
        special_ids = np.asarray(self.all_special_ids if special_tokens == "all_special_ids" else [], dtype=np.int64)
        rows = []
        for e, was_cut in zip(encodings, cut):
            ids = np.asarray(e.ids, dtype=np.int64)
            if special_tokens == "template":
                special = np.asarray(e.special_tokens_mask, dtype=np.int64)
            else:
                special = np.isin(ids, special_ids).astype(np.int64)
            offsets = np.asarray(e.offsets, dtype=np.int64).reshape(len(ids), 2)
            words = np.array([-1 if w is None else w for w in e.word_ids], dtype=np.int64) if word_ids else None
            rows.append(Row(ids, np.asarray(e.type_ids, dtype=np.int64), special, bool(e.overflowing) or was_cut,
                            offsets, words))
        return rows

    def pad(self, rows: Sequence[Row], *, length: int,
            pad_to_multiple_of: int | None = None) -> Encoded:
        """Right-pad rows from ``encode_rows`` to ``length`` (rounded up to ``pad_to_multiple_of``)."""
        return pad_rows(rows, length=length, pad_token_id=self.pad_token_id, pad_to_multiple_of=pad_to_multiple_of)

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        """Token strings of ``ids`` (``"?"`` for ids outside the vocabulary)."""
        return [self.backend.id_to_token(int(i)) or "?" for i in ids]

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = True) -> str:
        """Decode ids back to text."""
        return self.backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)


def _path(value: object, keyword: str) -> Path:
    """``value`` as a Path, or an ``InputFileError`` naming ``keyword`` when it is not a str or Path."""
    if not isinstance(value, (str, Path)):
        raise InputFileError(f"{keyword}={value!r} is a {type(value).__name__}, not a path; pass the tokenizer's "
                             f"file or directory as a str or pathlib.Path")
    return Path(value)
