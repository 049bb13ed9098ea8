"""Build fast tokenizers from "slow" vocabulary files, as transformers' converters do.

``wordpiece`` mirrors ``BertConverter`` (vocab.txt); ``byte_level_bpe`` mirrors ``RobertaConverter``
(vocab.json + merges.txt), including ``<mask>`` stripping the space on its left.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputFileError, TokenizerError, first_line
from ..text import check_input_file

if TYPE_CHECKING:  # pragma: no cover
    import tokenizers


def _read_wordpiece_vocab(path: Path) -> dict[str, int]:
    check_input_file(path, what="vocabulary", fix="pass a UTF-8 vocab.txt")
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read vocabulary {str(path)!r} ({exc}); it must be a UTF-8 vocab.txt") from exc
    if lines and lines[-1] == "":
        lines.pop()
    vocab: dict[str, int] = {}
    for index, token in enumerate(lines):
        vocab.setdefault(token.rstrip("\r"), index)
    if not vocab:
        raise InputFileError(f"vocabulary {str(path)!r} is empty; it must list one token per line")
    return vocab


def _specials(names: dict[str, str | None], vocab_has: set[str] | dict[str, int], source: Path) -> list[str]:
    missing = [t for r, t in names.items() if t is not None and r in ("cls", "sep", "unk") and t not in vocab_has]
    if missing:
        raise TokenizerError(
            f"special tokens {missing!r} are not in {str(source)!r}; name them in tokenizer_config.json")
    return [t for t in names.values() if t is not None and t in vocab_has]


def wordpiece(vocab_txt: Path, names: dict[str, str | None], *, do_lower_case: bool,
              strip_accents: bool | None, chinese_chars: bool) -> tokenizers.Tokenizer:
    """BERT's uncased/cased WordPiece tokenizer from ``vocab.txt``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = _read_wordpiece_vocab(vocab_txt)
    specials = _specials(names, vocab, vocab_txt)
    cls, sep, unk = names["cls"], names["sep"], names["unk"]
    backend = Tokenizer(models.WordPiece(vocab, unk_token=str(unk), max_input_chars_per_word=100))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=chinese_chars, strip_accents=strip_accents, lowercase=do_lower_case
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(str(cls), vocab[str(cls)]), (str(sep), vocab[str(sep)])],
    )
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return backend


def byte_level_bpe(vocab_json: Path, merges_txt: Path, names: dict[str, str | None], *,
                   add_prefix_space: bool) -> tokenizers.Tokenizer:
    """RoBERTa's byte-level BPE tokenizer from ``vocab.json`` + ``merges.txt``."""
    import json

    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    for path in (vocab_json, merges_txt):
        check_input_file(path, what=path.name, fix="a byte-level BPE tokenizer needs vocab.json and merges.txt")
    try:
        vocab = json.loads(vocab_json.read_text(encoding="utf-8"))
        model = models.BPE.from_file(str(vocab_json), str(merges_txt))
    except Exception as exc:  # tokenizers raises bare Exception on malformed files
        raise InputFileError(
            f"cannot read BPE files {str(vocab_json)!r} / {str(merges_txt)!r} ({first_line(exc)})"
        ) from exc
    specials = _specials(names, vocab, vocab_json)
    backend = Tokenizer(model)
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    backend.decoder = decoders.ByteLevel()
    cls, sep = str(names["cls"]), str(names["sep"])
    backend.post_processor = processors.RobertaProcessing(
        (sep, vocab[sep]), (cls, vocab[cls]), trim_offsets=True, add_prefix_space=add_prefix_space
    )
    backend.add_special_tokens([
        AddedToken(t, special=True, normalized=False, lstrip=(t == names["mask"])) for t in specials
    ])
    return backend
