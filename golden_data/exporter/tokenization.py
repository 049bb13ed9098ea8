"""a. Train the WordPiece and byte-level BPE tokenizers deterministically; save and load their files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import (
    AddedToken,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import PreTrainedTokenizerFast

from .files import read_lines, write_json
from .specs import (
    BPE_SPECIALS,
    MAX_SEQUENCE_LENGTH,
    TOKENIZER_VOCAB_SIZE,
    WORDPIECE_SPECIALS,
    ExportError,
    TokenizerSpec,
)


def _continuation_tokens(train_path: Path, tokenizer: Tokenizer) -> list[str]:
    """All "##c" continuation tokens of the training text (plus a-z and 0-9), sorted."""
    chars = set("abcdefghijklmnopqrstuvwxyz0123456789")
    for line in read_lines(train_path):
        normalized = tokenizer.normalizer.normalize_str(line)
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(normalized):
            chars.update(word[1:])
    return ["##" + char for char in sorted(chars)]


def train_wordpiece(train_path: Path, vocab_size: int = TOKENIZER_VOCAB_SIZE) -> Tokenizer:
    """Train a BERT-style uncased WordPiece tokenizer.

    ``tokenizers``' WordPieceTrainer adds the "##c" continuation characters to the vocabulary in
    hash-map order, which changes ids and (through tie-breaking of equal-count merges) even the
    learned vocabulary from run to run.  Registering the sorted continuation characters as
    trainer "special tokens" fixes their ids, which makes training deterministic.  The final
    tokenizer is rebuilt from the learned vocabulary with only the five real special tokens.
    """
    probe = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    probe.normalizer = normalizers.BertNormalizer(lowercase=True)
    probe.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    continuation = _continuation_tokens(train_path, probe)
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(WORDPIECE_SPECIALS) + continuation,
        continuing_subword_prefix="##",
        show_progress=False,
    )
    probe.train([str(train_path)], trainer)
    vocab = probe.get_vocab()

    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.add_special_tokens([AddedToken(token, special=True) for token in WORDPIECE_SPECIALS])
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


def train_bytelevel_bpe(train_path: Path, vocab_size: int = TOKENIZER_VOCAB_SIZE) -> Tokenizer:
    """Train a RoBERTa-style byte-level BPE tokenizer (<s>=0, <pad>=1, </s>=2, <unk>=3, <mask>)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    specials = [AddedToken(token, special=True) for token in BPE_SPECIALS[:-1]]
    specials.append(AddedToken("<mask>", lstrip=True, special=True))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train([str(train_path)], trainer)
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", tokenizer.token_to_id("</s>")),
        ("<s>", tokenizer.token_to_id("<s>")),
        trim_offsets=True,
        add_prefix_space=False,
    )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def train_tokenizer_deterministically(kind: str, train_path: Path) -> Tokenizer:
    """Train a tokenizer twice and abort unless both runs serialize identically."""
    train = train_wordpiece if kind == "wordpiece" else train_bytelevel_bpe
    first, second = train(train_path), train(train_path)
    if first.to_str() != second.to_str():
        raise ExportError(f"{kind} tokenizer training is not deterministic")
    expected = WORDPIECE_SPECIALS if kind == "wordpiece" else BPE_SPECIALS
    for index, token in enumerate(expected):
        if first.token_to_id(token) != index:
            raise ExportError(f"{kind}: special token {token} has id {first.token_to_id(token)}, not {index}")
    return first


def tokenizer_config(spec: TokenizerSpec) -> dict[str, Any]:
    """The tokenizer_config.json content for one model directory."""
    config: dict[str, Any] = {
        "tokenizer_class": spec.tokenizer_class,
        "model_max_length": MAX_SEQUENCE_LENGTH,
        "model_input_names": list(spec.model_input_names),
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
    }
    config.update(spec.special_tokens)
    config.update(spec.extra_config)
    return config


def save_tokenizer_files(tokenizer: Tokenizer, spec: TokenizerSpec, model_dir: Path) -> None:
    """Write tokenizer.json, tokenizer_config.json and the slow-tokenizer vocabulary files."""
    tokenizer.save(str(model_dir / "tokenizer.json"), pretty=True)
    tokenizer.model.save(str(model_dir))  # vocab.txt (WordPiece) or vocab.json + merges.txt (BPE)
    write_json(model_dir / "tokenizer_config.json", tokenizer_config(spec))


def load_fast_tokenizer(model_dir: Path, spec: TokenizerSpec) -> PreTrainedTokenizerFast:
    """Load tokenizer.json as a ``PreTrainedTokenizerFast`` with the special tokens set."""
    return PreTrainedTokenizerFast(
        tokenizer_file=str(model_dir / "tokenizer.json"),
        model_max_length=MAX_SEQUENCE_LENGTH,
        model_input_names=list(spec.model_input_names),
        **spec.special_tokens,
    )
