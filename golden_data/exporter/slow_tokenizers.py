"""a. Check the saved vocabulary files: slow tokenizers built from them must agree with tokenizer.json."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import regex
import transformers
from transformers import AutoTokenizer, BertTokenizer, EsmTokenizer, PreTrainedTokenizerFast, RobertaTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from .files import read_lines
from .specs import ExportError, TokenizerSpec
from .unigram import unigram_vocab

Encoders = dict[str, Callable[[str], list[int]]]
UNIGRAM_NOT_APPLICABLE = (
    "no slow Unigram tokenizer: transformers 5.23 has no pure-Python one, and its SentencePiece one needs a "
    "spiece.model file, which `tokenizers` cannot write; checked instead: the transformers tokenizer class "
    "rebuilt from the tokenizer.json Unigram pieces with its own normalizer/pre-tokenizer/template"
)
NO_SLOW_CLASS = "ModernBERT has no slow tokenizer class (tokenizer_class PreTrainedTokenizerFast, tokenizer.json only)"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {byte: chr(code) for byte, code in zip(printable, codes)}


class ReferenceByteLevelBPE:
    """A pure-Python GPT-2/RoBERTa byte-level BPE encoder reading vocab.json + merges.txt.

    transformers 5.x has no pure-Python RoBERTa tokenizer any more, so this is the independent
    "slow" reference for the BPE files.
    """

    PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def __init__(self, vocab_path: Path, merges_path: Path) -> None:
        self.vocab: dict[str, int] = json.loads(vocab_path.read_text(encoding="utf-8"))
        merges = [
            line.split(" ") for line in read_lines(merges_path) if line and not line.startswith("#version")
        ]
        self.ranks = {(left, right): rank for rank, (left, right) in enumerate(merges)}
        self.byte_map = bytes_to_unicode()

    def _bpe(self, word: str) -> list[str]:
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get(pair, math.inf), pair) for pair in itertools.pairwise(parts)]
            rank, best = min(ranked, key=lambda item: item[0])
            if rank == math.inf:
                break
            merged: list[str] = []
            index = 0
            while index < len(parts):
                if index + 1 < len(parts) and (parts[index], parts[index + 1]) == best:
                    merged.append(parts[index] + parts[index + 1])
                    index += 2
                else:
                    merged.append(parts[index])
                    index += 1
            parts = merged
        return parts

    def encode(self, text: str) -> list[int]:
        """Token ids of ``<s> text </s>``."""
        ids = [self.vocab["<s>"]]
        for piece in self.PATTERN.findall(text):
            word = "".join(self.byte_map[byte] for byte in piece.encode("utf-8"))
            ids.extend(self.vocab.get(token, self.vocab["<unk>"]) for token in self._bpe(word))
        ids.append(self.vocab["</s>"])
        return ids


def _slow_encoders(model_dir: Path, spec: TokenizerSpec) -> tuple[Encoders, str | None]:
    """Encoders built only from the slow-tokenizer vocabulary files, by name; why there are none, if so."""
    if spec.source == "residue":
        esm = EsmTokenizer(vocab_file=str(model_dir / "vocab.txt"))
        return {"EsmTokenizer(vocab.txt) [pure Python]": lambda text: esm(text)["input_ids"]}, None
    if spec.kind == "unigram":
        tokenizer_class = getattr(transformers, spec.tokenizer_class)
        pieces = unigram_vocab(model_dir / "tokenizer.json")
        rebuilt = tokenizer_class(vocab=pieces, **spec.special_tokens, **spec.extra_config)
        name = f"{spec.tokenizer_class}(vocab=<tokenizer.json Unigram pieces>)"
        return {name: lambda text: rebuilt(text)["input_ids"]}, UNIGRAM_NOT_APPLICABLE
    if spec.source not in ("wordpiece", "bpe"):
        return {}, NO_SLOW_CLASS
    return _vocab_file_encoders(model_dir, spec.kind), None


def _vocab_file_encoders(model_dir: Path, kind: str) -> Encoders:
    """WordPiece (vocab.txt) or byte-level BPE (vocab.json + merges.txt) encoders."""
    if kind == "wordpiece":
        vocab_file = str(model_dir / "vocab.txt")
        legacy = BertTokenizerLegacy(vocab_file=vocab_file, do_lower_case=True)
        from_vocab = BertTokenizer(vocab=vocab_file, do_lower_case=True)
        return {
            "BertTokenizerLegacy(vocab.txt) [pure Python]": lambda text: legacy(text)["input_ids"],
            "BertTokenizer(vocab=vocab.txt)": lambda text: from_vocab(text)["input_ids"],
        }
    vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
    merges = [
        tuple(line.split(" ")) for line in read_lines(model_dir / "merges.txt") if not line.startswith("#")
    ]
    from_files = RobertaTokenizer(vocab=vocab, merges=merges)
    reference = ReferenceByteLevelBPE(model_dir / "vocab.json", model_dir / "merges.txt")
    return {
        "RobertaTokenizer(vocab=vocab.json, merges=merges.txt)": lambda text: from_files(text)["input_ids"],
        "ReferenceByteLevelBPE(vocab.json, merges.txt) [pure Python]": reference.encode,
    }


def check_slow_tokenizers(
    model_dir: Path, spec: TokenizerSpec, fast: PreTrainedTokenizerFast, texts: Sequence[str]
) -> dict[str, Any]:
    """Compare the fast tokenizer with slow tokenizers built from the vocab files on ``texts``.

    Also checks that ``AutoTokenizer.from_pretrained(model_dir)`` agrees (validates
    tokenizer_config.json).  Aborts on any mismatch.  Where no slow tokenizer exists (Unigram,
    ModernBERT), the result says why under ``not_applicable``.
    """
    encoders, not_applicable = _slow_encoders(model_dir, spec)
    auto = AutoTokenizer.from_pretrained(str(model_dir))
    encoders[f"AutoTokenizer.from_pretrained -> {type(auto).__name__}"] = lambda text: auto(text)["input_ids"]
    expected = [fast(text)["input_ids"] for text in texts]
    results: dict[str, Any] = {}
    for name, encode in encoders.items():
        mismatches = [text for text, ids in zip(texts, expected) if encode(text) != ids]
        results[name] = len(mismatches) == 0
        if mismatches:
            raise ExportError(f"{model_dir.name}: {name} differs from tokenizer.json on {mismatches[:3]!r}")
    result: dict[str, Any] = {"n_texts": len(texts), "checkers": results}
    if not_applicable:
        result["not_applicable"] = not_applicable
    return result
