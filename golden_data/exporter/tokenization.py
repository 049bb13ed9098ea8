"""a. Train the tokenizers deterministically (WordPiece, byte-level BPE here; Unigram in ``unigram``, the
ESM residue tokenizer in ``protein``); save and load their files."""

from __future__ import annotations

from collections.abc import Callable
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
from .protein import ESM_VOCAB, build_residue_tokenizer, write_residue_vocab
from .specs import (
    BPE_SPECIALS,
    MAX_SEQUENCE_LENGTH,
    TOKENIZER_VOCAB_SIZE,
    WORDPIECE_SPECIALS,
    ExportError,
    TokenizerSpec,
)
from .unigram import FLAVOURS, train_unigram

# ModernBERT puts its BERT-style special tokens after the byte-level BPE vocabulary.
BPE_BERT_SPECIALS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")


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


def train_bytelevel_bpe_bert_specials(train_path: Path, vocab_size: int = TOKENIZER_VOCAB_SIZE) -> Tokenizer:
    """Train a ModernBERT-style byte-level BPE tokenizer (NFC; [UNK] [CLS] [SEP] [PAD] [MASK] = last ids)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(BPE_BERT_SPECIALS),
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train([str(train_path)], trainer)
    tokenizer.add_special_tokens(
        [AddedToken(token, lstrip=token == "[MASK]", special=True, normalized=False) for token in BPE_BERT_SPECIALS]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))],
    )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


TOKENIZER_BUILDERS: dict[str, Callable[[Path], Tokenizer]] = {
    "wordpiece": train_wordpiece,
    "bpe": train_bytelevel_bpe,
    "bpe_bert_specials": train_bytelevel_bpe_bert_specials,
    **{name: lambda path, name=name: train_unigram(name, path) for name in FLAVOURS},
    "residue": lambda _path: build_residue_tokenizer(),
}


def expected_special_ids(source: str) -> dict[str, int]:
    """The ids the special tokens of one trained tokenizer must have (like the real models')."""
    if source in ("wordpiece", "bpe"):
        return {token: i for i, token in enumerate(WORDPIECE_SPECIALS if source == "wordpiece" else BPE_SPECIALS)}
    if source == "bpe_bert_specials":
        first = TOKENIZER_VOCAB_SIZE - len(BPE_BERT_SPECIALS)
        return {token: first + i for i, token in enumerate(BPE_BERT_SPECIALS)}
    if source == "residue":
        return {token: ESM_VOCAB.index(token) for token in ("<cls>", "<pad>", "<eos>", "<unk>", "<mask>")}
    flavour = FLAVOURS[source]
    ids = {token: i for i, token in enumerate(flavour.leading_specials)}
    if flavour.mask_position != "leading":
        ids[flavour.mask] = TOKENIZER_VOCAB_SIZE - 1
    return ids


def train_tokenizer_deterministically(source: str, train_path: Path) -> Tokenizer:
    """Train a tokenizer twice and abort unless both runs serialize identically."""
    train = TOKENIZER_BUILDERS[source]
    first, second = train(train_path), train(train_path)
    if first.to_str() != second.to_str():
        raise ExportError(f"{source} tokenizer training is not deterministic")
    for token, index in expected_special_ids(source).items():
        if first.token_to_id(token) != index:
            raise ExportError(f"{source}: special token {token} has id {first.token_to_id(token)}, not {index}")
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
    if spec.source in ("wordpiece", "bpe"):
        tokenizer.model.save(str(model_dir))  # vocab.txt (WordPiece) or vocab.json + merges.txt (BPE)
    elif spec.source == "residue":
        write_residue_vocab(model_dir)  # EsmTokenizer's vocab.txt
    # Unigram: no spiece.model (``tokenizers`` cannot write one); ModernBERT ships tokenizer.json only.
    write_json(model_dir / "tokenizer_config.json", tokenizer_config(spec))


def load_fast_tokenizer(model_dir: Path, spec: TokenizerSpec) -> PreTrainedTokenizerFast:
    """Load tokenizer.json as a ``PreTrainedTokenizerFast`` with the special tokens set."""
    return PreTrainedTokenizerFast(
        tokenizer_file=str(model_dir / "tokenizer.json"),
        model_max_length=MAX_SEQUENCE_LENGTH,
        model_input_names=list(spec.model_input_names),
        **spec.special_tokens,
    )
