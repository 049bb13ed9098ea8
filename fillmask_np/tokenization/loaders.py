"""Load a tokenizer's backend and settings from its files: ``tokenizer.json``, a model directory, a BERT
``vocab.txt`` or a RoBERTa ``vocab.json`` + ``merges.txt``. Each loader returns the keyword arguments of
``Tokenizer(...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputFileError, first_line
from ..text import check_input_file
from . import vocab_files
from .special_tokens import other_special_names, read_config, special_names

__all__ = ["from_tokenizer_json", "from_directory", "from_vocab_txt", "from_vocab_json"]


def _arguments(backend: Any, config: dict[str, Any], names: dict[str, str | None], source: str) -> dict[str, Any]:
    """``Tokenizer(...)``'s keyword arguments: the backend, special tokens, model_max_length, source."""
    max_len = config.get("model_max_length")
    max_len = int(max_len) if isinstance(max_len, (int, float)) and 0 < max_len < 1_000_000 else None
    return dict(backend=backend, special_tokens=names, model_max_length=max_len, source=source,
                other_special_tokens=other_special_names(config))


def from_tokenizer_json(path: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """A ``tokenizer.json``, with special tokens named by a ``tokenizer_config.json`` beside it."""
    import tokenizers

    check_input_file(path, what="tokenizer file", fix="pass a tokenizer.json or a model directory")
    if path.stat().st_size == 0:
        raise InputFileError(f"{str(path)!r} is empty, not a Hugging Face tokenizer.json; pass the tokenizer.json "
                             f"saved with the model")
    try:
        backend = tokenizers.Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises bare Exception on bad JSON
        raise InputFileError(
            f"{str(path)!r} is not a Hugging Face tokenizer.json ({first_line(exc)}); "
            f"pass the tokenizer.json saved with the model"
        ) from exc
    config = read_config(path.parent)
    return _arguments(backend, config, special_names(config, overrides), str(path))


def from_directory(directory: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """A model directory: ``tokenizer.json``, else ``vocab.txt``, else ``vocab.json`` + ``merges.txt``."""
    if not directory.is_dir():
        raise InputFileError(f"tokenizer directory {str(directory)!r} does not exist")
    if (directory / "tokenizer.json").exists():  # a FIFO or a folder of that name is refused, not skipped
        return from_tokenizer_json(directory / "tokenizer.json", overrides)
    if (directory / "vocab.txt").exists():
        return from_vocab_txt(directory / "vocab.txt", overrides)
    if (directory / "vocab.json").exists() and (directory / "merges.txt").exists():
        return from_vocab_json(directory / "vocab.json", directory / "merges.txt", overrides)
    raise InputFileError(
        f"{str(directory)!r} holds no tokenizer.json, vocab.txt, or vocab.json + merges.txt; "
        f"save the tokenizer there with tokenizer.save_pretrained(directory)"
    )


def from_vocab_txt(vocab_txt: Path, overrides: dict[str, str], *, do_lower_case: bool | None = None) -> dict[str, Any]:
    """BERT's WordPiece tokenizer from ``vocab.txt`` (``do_lower_case`` from tokenizer_config.json)."""
    config = read_config(vocab_txt.parent)
    if do_lower_case is None:
        do_lower_case = bool(config.get("do_lower_case", True))
    names = special_names(config, overrides, spelling=0)  # [MASK], [PAD], [CLS], [SEP], [UNK]
    backend = vocab_files.wordpiece(vocab_txt, names, do_lower_case=do_lower_case,
                                    strip_accents=config.get("strip_accents"),
                                    chinese_chars=bool(config.get("tokenize_chinese_chars", True)))
    return _arguments(backend, config, names, str(vocab_txt))


def from_vocab_json(vocab_json: Path, merges_txt: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """RoBERTa's byte-level BPE tokenizer from ``vocab.json`` + ``merges.txt``."""
    config = read_config(vocab_json.parent)
    names = special_names(config, overrides, spelling=1)  # <mask>, <pad>, <s>, </s>, <unk>
    backend = vocab_files.byte_level_bpe(vocab_json, merges_txt, names,
                                         add_prefix_space=bool(config.get("add_prefix_space", False)))
    return _arguments(backend, config, names, str(vocab_json))
