#!/usr/bin/env python
"""Export the golden reference data for ``fillmask_np``.

This script is an *independent* reference: it never imports ``fillmask_np``.  It uses
``tokenizers`` + Hugging Face ``transformers`` + ``torch`` to

a. train a WordPiece tokenizer (BERT, DistilBERT) and a byte-level BPE tokenizer (RoBERTa) on
   ``text/train.txt`` and save them with their slow-tokenizer vocabulary files;
b. build seeded tiny ``*ForMaskedLM`` models from configs and train them briefly with MLM;
c. export them to ONNX with the dynamo exporter and verify ONNX Runtime against torch;
d. write golden masking/logit/loss cases (``cases/<case>.npz``);
e. compute a reference masked cross-entropy for the real splade-tiny model on WikiText-2 lines
   (skipped with a message when the shared folder is absent);
f. write ``manifest.json`` describing everything, with sha256 of every exported file.

Usage::

    python golden_data/export_golden.py [--out DIR] [--shared PATH] [--no-splade] [--jobs N]

Everything is deterministic: torch seeds, deterministic algorithms, a single torch thread per process
and numpy ``Generator`` objects only (never the global numpy random state).  The models are trained in
float64 (then cast to float32), so that a re-run on another CPU reproduces the float data within the
manifest's ``regen_*`` tolerances; on the same kind of machine the export is byte-identical.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import shutil
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import onnx
import onnxruntime as ort
import onnxscript
import regex
import tokenizers
import torch
import transformers
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
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertTokenizer,
    DataCollatorForLanguageModeling,
    DistilBertConfig,
    DistilBertForMaskedLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaTokenizer,
)
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

GOLDEN_DIR = Path(__file__).resolve().parent
REPO_DIR = GOLDEN_DIR.parent
TEXT_FILES = ("text/train.txt", "text/eval.txt")

TOKENIZER_VOCAB_SIZE = 1000
MAX_SEQUENCE_LENGTH = 128
IGNORE_INDEX = -100

TOLERANCES = {
    "ort_logits_atol": 1e-4,
    "loss_rtol_torch_logits": 1e-6,
    "loss_rtol_ort_logits": 1e-5,
    # A re-run on the same kind of machine with the pinned versions is byte-identical.  These are the
    # tolerances check_golden.py enforces for float data; they also hold with another BLAS
    # partitioning (tested: 2 threads everywhere gives <= 7e-6 logit differences) thanks to the
    # float64 training.
    "regen_logits_atol": 1e-4,
    "regen_loss_rtol": 1e-5,
}

WORDPIECE_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
BPE_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")

# Per-sample masking used for the WikiText / eval.txt reference figures (the library implements
# the same definition): sample i is masked with np.random.default_rng([SEED, i]).
REFERENCE_SEED = 0
REFERENCE_MLM = {"mlm_probability": 0.15, "mask_replace_prob": 0.8, "random_replace_prob": 0.1}
SPLADE_MAX_LENGTH = 512
SPLADE_N_SAMPLES = 500
SPLADE_N_SAMPLES_SMALL = 200

log = logging.getLogger("export_golden")


# --------------------------------------------------------------------------------------------
# Specifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenizerSpec:
    """How to load one trained tokenizer with Hugging Face."""

    kind: str  # "wordpiece" or "bpe"
    special_tokens: dict[str, str]
    model_input_names: tuple[str, ...]
    tokenizer_class: str
    extra_config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSpec:
    """MLM training hyper-parameters of one tiny model."""

    seed: int
    steps: int
    batch_size: int = 32
    lr: float = 3e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    mlm_probability: float = 0.2


@dataclass(frozen=True)
class ModelSpec:
    """One tiny model to build, train and export."""

    name: str
    architecture: str
    tokenizer: TokenizerSpec
    train: TrainSpec
    demo_prompts: tuple[str, ...]

    @property
    def input_names(self) -> tuple[str, ...]:
        return self.tokenizer.model_input_names


@dataclass(frozen=True)
class CaseSpec:
    """One golden masking case."""

    name: str
    model: str
    seed: int
    mlm_probability: float
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    require_random_and_kept: bool = False


BERT_SPECIALS = {
    "unk_token": "[UNK]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
ROBERTA_SPECIALS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "sep_token": "</s>",
    "mask_token": "<mask>",
}
WORDPIECE_EXTRA = {"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True}
BERT_PROMPTS = (
    "the cat [MASK] on the mat.",
    "the [MASK] sat on the mat.",
    "the children go to [MASK] at eight o'clock.",
    "the sky is [MASK] and the sun is shining.",
)
ROBERTA_PROMPTS = (
    "The cat <mask> on the mat.",
    "The <mask> sat on the mat.",
    "The children go to <mask> at eight o'clock.",
    "The sky is <mask> and the sun is shining.",
)

MODEL_SPECS = (
    ModelSpec(
        name="bert",
        architecture="BertForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="wordpiece",
            special_tokens=BERT_SPECIALS,
            model_input_names=("input_ids", "attention_mask", "token_type_ids"),
            tokenizer_class="BertTokenizer",
            extra_config=WORDPIECE_EXTRA,
        ),
        train=TrainSpec(seed=1234, steps=2000),
        demo_prompts=BERT_PROMPTS,
    ),
    ModelSpec(
        name="roberta",
        architecture="RobertaForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="bpe",
            special_tokens=ROBERTA_SPECIALS,
            model_input_names=("input_ids", "attention_mask"),
            tokenizer_class="RobertaTokenizer",
            extra_config={"add_prefix_space": False, "trim_offsets": True, "errors": "replace"},
        ),
        train=TrainSpec(seed=2345, steps=900, mlm_probability=0.3),
        demo_prompts=ROBERTA_PROMPTS,
    ),
    ModelSpec(
        name="distilbert",
        architecture="DistilBertForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="wordpiece",
            special_tokens=BERT_SPECIALS,
            model_input_names=("input_ids", "attention_mask"),
            tokenizer_class="DistilBertTokenizer",
            extra_config=WORDPIECE_EXTRA,
        ),
        train=TrainSpec(seed=3456, steps=900, mlm_probability=0.3),
        demo_prompts=BERT_PROMPTS,
    ),
)

SPEC_BY_NAME = {spec.name: spec for spec in MODEL_SPECS}

CASE_SPECS = (
    CaseSpec("bert_p15", "bert", seed=0, mlm_probability=0.15),
    CaseSpec("bert_p50", "bert", seed=1, mlm_probability=0.5),
    CaseSpec(
        "bert_replace",
        "bert",
        seed=2,
        mlm_probability=0.3,
        mask_replace_prob=0.5,
        random_replace_prob=0.3,
        require_random_and_kept=True,
    ),
    CaseSpec("roberta_p15", "roberta", seed=3, mlm_probability=0.15),
    CaseSpec("roberta_p50", "roberta", seed=4, mlm_probability=0.5),
    CaseSpec("distilbert_p15", "distilbert", seed=5, mlm_probability=0.15),
    CaseSpec(
        "distilbert_replace",
        "distilbert",
        seed=6,
        mlm_probability=0.4,
        mask_replace_prob=0.6,
        random_replace_prob=0.2,
        require_random_and_kept=True,
    ),
)

# Word-count buckets: one text from each bucket gives a batch with clearly different lengths
# (and therefore padding), kept short enough that the logits stay small on disk.
CASE_WORD_BUCKETS = ((3, 4), (5, 6), (7, 8), (9, 11), (12, 16), (17, 26))


class ExportError(RuntimeError):
    """Raised when a verification step fails; the export is aborted."""


# --------------------------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_lines(path: Path) -> list[str]:
    """Read a UTF-8 text file as lines without their "\\n" / "\\r\\n" endings (keeps empty lines)."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def write_json(path: Path, obj: Any) -> None:
    """Write JSON deterministically (sorted keys, indent 1, trailing newline)."""
    path.write_text(json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays like ``np.savez_compressed`` but with fixed zip timestamps.

    ``np.savez_compressed`` stamps each member with the current time, so two identical exports
    would differ byte-wise.  This writes the same layout (``<key>.npy`` members, deflate,
    zip64) with a constant date, so identical data gives identical files; ``np.load`` reads it
    like any ``.npz`` (and with ``allow_pickle=False``).
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                member.write(buffer.getvalue())
    with np.load(path, allow_pickle=False) as loaded:
        for key, array in arrays.items():
            if (
                loaded[key].dtype != array.dtype
                or loaded[key].shape != array.shape
                or not np.array_equal(loaded[key], array)
            ):
                raise ExportError(f"{path}: {key} does not round-trip through np.load")


def configure_torch() -> None:
    """Make torch deterministic and single-threaded (also for reproducible float results)."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


class Timer:
    """Collects wall-clock durations of named steps (logged only, so the manifest stays deterministic)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.steps: dict[str, float] = {}

    def measure(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = fn()
        self.steps[name] = round(time.perf_counter() - t0, 2)
        log.info("%s: %.1f s", name, self.steps[name])
        return result

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)


# --------------------------------------------------------------------------------------------
# a. Tokenizers
# --------------------------------------------------------------------------------------------


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


def _slow_encoders(model_dir: Path, kind: str) -> dict[str, Callable[[str], list[int]]]:
    """Encoders built only from the slow-tokenizer vocabulary files, by name."""
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
    tokenizer_config.json).  Aborts on any mismatch.
    """
    encoders = _slow_encoders(model_dir, spec.kind)
    auto = AutoTokenizer.from_pretrained(str(model_dir))
    encoders[f"AutoTokenizer.from_pretrained -> {type(auto).__name__}"] = lambda text: auto(text)["input_ids"]
    expected = [fast(text)["input_ids"] for text in texts]
    results: dict[str, Any] = {}
    for name, encode in encoders.items():
        mismatches = [text for text, ids in zip(texts, expected) if encode(text) != ids]
        results[name] = len(mismatches) == 0
        if mismatches:
            raise ExportError(f"{model_dir.name}: {name} differs from tokenizer.json on {mismatches[:3]!r}")
    return {"n_texts": len(texts), "checkers": results}


# --------------------------------------------------------------------------------------------
# b. Tiny models
# --------------------------------------------------------------------------------------------


def build_model(spec: ModelSpec, tok: PreTrainedTokenizerFast) -> PreTrainedModel:
    """Build a seeded tiny masked-LM model (hidden 64, 2 layers, 4 heads) for ``tok``."""
    torch.manual_seed(spec.train.seed)
    vocab_size = len(tok)
    common = {"vocab_size": vocab_size, "pad_token_id": tok.pad_token_id, "tie_word_embeddings": True}
    if spec.architecture == "BertForMaskedLM":
        config = BertConfig(
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=256,
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            type_vocab_size=2,
            **common,
        )
        model: PreTrainedModel = BertForMaskedLM(config)
    elif spec.architecture == "RobertaForMaskedLM":
        # RoBERTa positions start at pad_token_id + 1, hence 2 extra position embeddings.
        config = RobertaConfig(
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=256,
            max_position_embeddings=MAX_SEQUENCE_LENGTH + 2,
            type_vocab_size=1,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            **common,
        )
        model = RobertaForMaskedLM(config)
    elif spec.architecture == "DistilBertForMaskedLM":
        config = DistilBertConfig(
            dim=64,
            n_layers=2,
            n_heads=4,
            hidden_dim=256,
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            **common,
        )
        model = DistilBertForMaskedLM(config)
    else:
        raise ValueError(spec.architecture)
    if model.get_output_embeddings().weight is not model.get_input_embeddings().weight:
        raise ExportError(f"{spec.name}: decoder is not tied to the word embeddings")
    return model


def _hidden_states(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Encoder output (before the MLM head)."""
    return model.base_model(**inputs).last_hidden_state


def _mlm_head(model: PreTrainedModel, hidden: torch.Tensor) -> torch.Tensor:
    """Apply the model's MLM head to (selected) hidden states."""
    if isinstance(model, BertForMaskedLM):
        return model.cls(hidden)
    if isinstance(model, RobertaForMaskedLM):
        return model.lm_head(hidden)
    if isinstance(model, DistilBertForMaskedLM):
        hidden = model.vocab_layer_norm(model.activation(model.vocab_transform(hidden)))
        return model.vocab_projector(hidden)
    raise TypeError(type(model))


def masked_position_logits(
    model: PreTrainedModel, inputs: dict[str, torch.Tensor], selected: torch.Tensor
) -> torch.Tensor:
    """Logits at the ``selected`` positions only (training speed-up: skips the other rows)."""
    return _mlm_head(model, _hidden_states(model, inputs)[selected])


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token id rows into (input_ids, attention_mask) int64 arrays."""
    length = max(len(row) for row in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
        mask[index, : len(row)] = 1
    return ids, mask


def model_inputs(
    spec: ModelSpec, input_ids: np.ndarray, attention_mask: np.ndarray
) -> dict[str, torch.Tensor]:
    """The torch keyword inputs of a model (token_type_ids = 0 for BERT)."""
    inputs = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention_mask)}
    if "token_type_ids" in spec.input_names:
        inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
    return inputs


def batch_schedule(
    lengths: np.ndarray, batch_size: int, steps: int, rng: np.random.Generator, group: int = 4
) -> list[np.ndarray]:
    """Random training batches of rows with similar lengths (less padding, about 2x faster).

    Each epoch shuffles all rows, sorts every run of ``group * batch_size`` rows by length,
    cuts it into batches and shuffles the batch order; incomplete batches are dropped.
    """
    batches: list[np.ndarray] = []
    while len(batches) < steps:
        order = rng.permutation(len(lengths))
        epoch = []
        for start in range(0, len(order), batch_size * group):
            chunk = order[start : start + batch_size * group]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            epoch += [chunk[i : i + batch_size] for i in range(0, len(chunk) - batch_size + 1, batch_size)]
        batches += [epoch[index] for index in rng.permutation(len(epoch))]
    return batches[:steps]


def _lr_lambda(train: TrainSpec) -> Callable[[int], float]:
    """Linear warm-up then linear decay to zero."""

    def factor(step: int) -> float:
        return min(1.0, (step + 1) / train.warmup_steps) * max(0.0, 1.0 - step / train.steps)

    return factor


def train_mlm(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, lines: Sequence[str]
) -> dict[str, Any]:
    """Train ``model`` with standard dynamic MLM masking (DataCollatorForLanguageModeling).

    The loss is computed only at masked positions (same value as the full forward's loss, less
    compute).  Training runs in the model's dtype (float64, see :func:`train_worker`).  Returns
    the training record for the manifest.
    """
    train = spec.train
    torch.manual_seed(train.seed)
    batch_rng = np.random.default_rng([train.seed, 0])
    collator = DataCollatorForLanguageModeling(
        tok, mlm_probability=train.mlm_probability, return_tensors="np"
    )
    collator.generator = np.random.default_rng([train.seed, 1])
    encoded = [tok(line, truncation=True, max_length=MAX_SEQUENCE_LENGTH)["input_ids"] for line in lines]
    special_ids = np.array(sorted(tok.all_special_ids), dtype=np.int64)
    schedule = batch_schedule(
        np.array([len(row) for row in encoded]), train.batch_size, train.steps, batch_rng
    )

    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(train))
    model.train()
    losses: list[float] = []
    for rows in schedule:
        input_ids, attention_mask = pad_batch([encoded[row] for row in rows], tok.pad_token_id)
        special = np.isin(input_ids, special_ids).astype(np.int64)
        masked, labels = collator.numpy_mask_tokens(input_ids.copy(), special_tokens_mask=special)
        labels_t = torch.from_numpy(labels)
        selected = labels_t != IGNORE_INDEX
        logits = masked_position_logits(model, model_inputs(spec, masked, attention_mask), selected)
        loss = torch.nn.functional.cross_entropy(logits, labels_t[selected])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    return {
        "seed": train.seed,
        "steps": train.steps,
        "batch_size": train.batch_size,
        "lr": train.lr,
        "warmup_steps": train.warmup_steps,
        "weight_decay": train.weight_decay,
        "mlm_probability": train.mlm_probability,
        "optimizer": "AdamW + linear warm-up/decay, grad clip 1.0",
        "batching": "length-grouped random batches (see batch_schedule)",
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "final_train_loss": float(np.mean(losses[-100:])),
        "first_train_loss": losses[0],
    }


def check_masked_head_matches_forward(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, texts: Sequence[str]
) -> None:
    """Assert that the training shortcut (head on selected rows) equals the full forward."""
    enc = tok(list(texts), padding=True, return_tensors="np")
    inputs = model_inputs(spec, enc["input_ids"], enc["attention_mask"])
    selected = inputs["attention_mask"].bool()
    with torch.no_grad():
        full = model(**inputs).logits[selected]
        partial = masked_position_logits(model, inputs, selected)
    if not torch.allclose(full, partial, atol=1e-5, rtol=0):
        raise ExportError(f"{spec.name}: masked-position head differs from the full forward")


def train_worker(name: str, model_dir: str, train_path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Build and train one model; return its float32 weights and training record.

    Runs in a worker process (or in-process with ``--jobs 1``; the result is identical).
    Training is done in float64 on a single thread: in float32, rounding differences of one
    ulp (e.g. another BLAS kernel or thread count) grow through training to ~1e-2 in the final
    logits, so the export would only be reproducible on an identical CPU and build.  In float64
    they stay far below float32 resolution, and the float32 weights are reproducible.
    """
    configure_torch()
    spec = SPEC_BY_NAME[name]
    tok = load_fast_tokenizer(Path(model_dir), spec.tokenizer)
    lines = [line for line in read_lines(Path(train_path)) if line.strip()]
    model = build_model(spec, tok).to(torch.float64)
    t0 = time.perf_counter()
    record = train_mlm(spec, model, tok, lines)
    seconds = time.perf_counter() - t0
    weights = {
        key: value.detach().to(torch.float32).numpy().copy() for key, value in model.state_dict().items()
    }
    return weights, {"record": record, "seconds": round(seconds, 1)}


def train_all(
    model_dirs: dict[str, Path], train_path: Path, jobs: int
) -> dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """Train every model, in ``jobs`` single-threaded worker processes (1 = in this process)."""
    order = sorted(MODEL_SPECS, key=lambda spec: -spec.train.steps)  # longest first
    if jobs <= 1:
        return {
            spec.name: train_worker(spec.name, str(model_dirs[spec.name]), str(train_path)) for spec in order
        }
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            spec.name: pool.submit(train_worker, spec.name, str(model_dirs[spec.name]), str(train_path))
            for spec in order
        }
        return {name: future.result() for name, future in futures.items()}


def load_trained_model(
    spec: ModelSpec, tok: PreTrainedTokenizerFast, weights: dict[str, np.ndarray]
) -> PreTrainedModel:
    """A float32 eval-mode model with the trained weights (tied decoder kept tied)."""
    model = build_model(spec, tok)
    model.load_state_dict({key: torch.from_numpy(value) for key, value in weights.items()})
    if model.get_output_embeddings().weight is not model.get_input_embeddings().weight:
        raise ExportError(f"{spec.name}: decoder got untied while loading the weights")
    return model.eval()


def torch_logits(
    spec: ModelSpec, model: PreTrainedModel, input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """float32 logits [B, L, V] of a full torch forward (eval mode, no grad)."""
    with torch.no_grad():
        logits = model(**model_inputs(spec, input_ids, attention_mask)).logits
    return logits.numpy().astype(np.float32)


def demo_predictions(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, top_k: int = 5
) -> dict[str, list[list[Any]]]:
    """Top-k [token, id, probability] at the mask of each demo prompt (torch, float32)."""
    demos: dict[str, list[list[Any]]] = {}
    for prompt in spec.demo_prompts:
        enc = tok(prompt, return_tensors="np")
        logits = torch_logits(spec, model, enc["input_ids"], enc["attention_mask"])[0]
        position = int(np.flatnonzero(enc["input_ids"][0] == tok.mask_token_id)[0])
        probs = torch.softmax(torch.from_numpy(logits[position]), dim=-1)
        top = torch.topk(probs, top_k)
        demos[prompt] = [
            [tok.convert_ids_to_tokens(int(index)), int(index), float(prob)]
            for prob, index in zip(top.values, top.indices)
        ]
    return demos


# --------------------------------------------------------------------------------------------
# c. ONNX export and verification
# --------------------------------------------------------------------------------------------


class LogitsOnly(torch.nn.Module):
    """Wraps a masked-LM model so that the exported graph has the single output ``logits``."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


class LogitsOnlyWithTypes(LogitsOnly):
    """Same as :class:`LogitsOnly` with ``token_type_ids`` (BERT)."""

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).logits


def export_onnx(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, path: Path) -> int:
    """Export with the dynamo exporter (dynamic batch/sequence, single file); return the opset."""
    wrapper = LogitsOnlyWithTypes(model) if "token_type_ids" in spec.input_names else LogitsOnly(model)
    wrapper.eval()
    enc = tok(["The cat sat on the mat.", "A dog.", ""], padding=True, return_tensors="np")
    example = model_inputs(spec, enc["input_ids"], enc["attention_mask"])
    args = tuple(example[name] for name in spec.input_names)
    batch = torch.export.Dim("batch", min=1, max=1024)
    sequence = torch.export.Dim("sequence", min=1, max=MAX_SEQUENCE_LENGTH)
    dynamic_shapes = {name: {0: batch, 1: sequence} for name in spec.input_names}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            dynamo=True,
            input_names=list(spec.input_names),
            output_names=["logits"],
            dynamic_shapes=dynamic_shapes,
            external_data=False,
            optimize=True,
        )
    check_onnx_interface(spec, path, len(tok))
    return max(
        entry.version for entry in onnx.load(str(path)).opset_import if entry.domain in ("", "ai.onnx")
    )


def check_onnx_interface(spec: ModelSpec, path: Path, vocab_size: int) -> None:
    """Assert the graph's inputs/outputs: int64 [batch, sequence] in, float32 logits out."""
    graph = onnx.load(str(path)).graph
    names = [value.name for value in graph.input]
    if names != list(spec.input_names):
        raise ExportError(f"{path}: inputs {names}, expected {list(spec.input_names)}")
    for value in graph.input:
        dims = [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]
        if value.type.tensor_type.elem_type != onnx.TensorProto.INT64 or not all(
            isinstance(d, str) for d in dims
        ):
            raise ExportError(f"{path}: input {value.name} is not int64 [dynamic, dynamic]: {dims}")
    outputs = [(value.name, value.type.tensor_type.elem_type) for value in graph.output]
    if outputs != [("logits", onnx.TensorProto.FLOAT)]:
        raise ExportError(f"{path}: outputs {outputs}")
    last_dim = graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    if last_dim != vocab_size:
        raise ExportError(f"{path}: logits last dim {last_dim} != {vocab_size}")
    if path.stat().st_size > 2 * 1024 * 1024:
        raise ExportError(f"{path}: {path.stat().st_size} bytes (> 2 MB)")


def ort_session(path: Path) -> ort.InferenceSession:
    """A deterministic single-threaded CPU session."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_logits(
    spec: ModelSpec, session: ort.InferenceSession, input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """float32 logits from ONNX Runtime (token_type_ids = 0 for BERT)."""
    feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in spec.input_names:
        feeds["token_type_ids"] = np.zeros_like(input_ids)
    return session.run(["logits"], feeds)[0]


def verification_batches(
    tok: PreTrainedTokenizerFast, texts: Sequence[str], seed: int
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Batches with many batch sizes, lengths and paddings (right padding, as the library uses)."""
    nonempty = [text for text in texts if text.strip()]
    by_length = sorted(nonempty, key=lambda text: len(tok(text)["input_ids"]))
    long_text = " ".join(nonempty)

    def encode(batch: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        enc = tok(
            list(batch), padding=True, truncation=True, max_length=MAX_SEQUENCE_LENGTH, return_tensors="np"
        )
        return enc["input_ids"], enc["attention_mask"]

    batches = [
        ("empty string", *encode([""])),
        ("shortest alone", *encode(by_length[:1])),
        ("longest alone", *encode(by_length[-1:])),
    ]
    for start in range(0, len(nonempty), 8):
        batches.append((f"eval texts {start}..{start + 7}", *encode(nonempty[start : start + 8])))
    batches.append(("max length 128, padded", *encode([long_text, "Hi.", long_text[:200], ""])))
    batches.append(("same lengths, no padding", *encode([by_length[-1]] * 3)))
    rng = np.random.default_rng([seed, 99])
    lengths = rng.integers(1, 60, size=5)
    rows = [
        [tok.cls_token_id, *rng.integers(5, len(tok), size=n).tolist(), tok.sep_token_id] for n in lengths
    ]
    batches.append(("random ids, 5 rows", *pad_batch(rows, tok.pad_token_id)))
    return batches


def verify_onnx(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, path: Path, texts: Sequence[str]
) -> dict[str, Any]:
    """Compare ONNX Runtime with torch on many batches; abort if max |diff| >= ort_logits_atol."""
    session = ort_session(path)
    worst = 0.0
    shapes = []
    for label, input_ids, attention_mask in verification_batches(tok, texts, spec.train.seed):
        expected = torch_logits(spec, model, input_ids, attention_mask)
        actual = ort_logits(spec, session, input_ids, attention_mask)
        if actual.shape != expected.shape or actual.dtype != np.float32:
            raise ExportError(
                f"{spec.name} [{label}]: ORT logits {actual.shape} {actual.dtype}, torch {expected.shape}"
            )
        # Padded positions are compared too: the library may look at them.
        diff = float(np.abs(actual - expected).max())
        worst = max(worst, diff)
        shapes.append(list(input_ids.shape))
        if not diff < TOLERANCES["ort_logits_atol"]:
            raise ExportError(f"{spec.name} [{label}]: ORT vs torch max abs diff {diff:.3g}")
    return {"ort_vs_torch_max_abs": worst, "verified_batch_shapes": shapes}


# --------------------------------------------------------------------------------------------
# d. Golden cases
# --------------------------------------------------------------------------------------------


def pick_case_texts(eval_lines: Sequence[str], seed: int) -> list[str]:
    """One eval text per word-count bucket (clearly different lengths), plus the empty string."""
    rng = np.random.default_rng([seed, 7])
    texts = []
    for low, high in CASE_WORD_BUCKETS:
        candidates = [line for line in eval_lines if low <= len(line.split()) <= high]
        texts.append(candidates[int(rng.integers(len(candidates)))])
    order = rng.permutation(len(texts) + 1)
    with_empty = texts + [""]
    return [with_empty[index] for index in order]


def mask_batch(
    tok: PreTrainedTokenizerFast,
    input_ids: np.ndarray,
    special_tokens_mask: np.ndarray,
    generator: np.random.Generator,
    mlm_probability: float,
    mask_replace_prob: float,
    random_replace_prob: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``DataCollatorForLanguageModeling.numpy_mask_tokens`` with an explicit generator."""
    collator = DataCollatorForLanguageModeling(
        tok,
        mlm_probability=mlm_probability,
        mask_replace_prob=mask_replace_prob,
        random_replace_prob=random_replace_prob,
        return_tensors="np",
    )
    collator.generator = generator
    masked, labels = collator.numpy_mask_tokens(input_ids.copy(), special_tokens_mask=special_tokens_mask)
    return masked.astype(np.int64), labels.astype(np.int64)


def masking_counts(
    input_ids: np.ndarray, masked: np.ndarray, labels: np.ndarray, mask_id: int
) -> dict[str, int]:
    """Counts of masked positions and what they were replaced with.

    A random replacement that happens to draw the original token counts as "kept"; one that
    draws the mask id counts as a mask-token replacement.
    """
    selected = labels != IGNORE_INDEX
    return {
        "n_masked": int(selected.sum()),
        "n_mask_token": int((selected & (masked == mask_id)).sum()),
        "n_random_replaced": int((selected & (masked != mask_id) & (masked != input_ids)).sum()),
        "n_kept": int((selected & (masked == input_ids)).sum()),
    }


def cross_entropy_np(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean NLL over non-ignored labels, in float64 numpy (independent re-computation)."""
    flat = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    targets = labels.reshape(-1)
    keep = targets != IGNORE_INDEX
    rows = flat[keep]
    shifted = rows - rows.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(rows.shape[0]), targets[keep]].mean())


def make_case(
    case: CaseSpec,
    spec: ModelSpec,
    model: PreTrainedModel,
    tok: PreTrainedTokenizerFast,
    session: ort.InferenceSession,
    eval_lines: Sequence[str],
    path: Path,
) -> dict[str, Any]:
    """Build, check and save one golden case; return its manifest entry."""
    texts = pick_case_texts(eval_lines, case.seed)
    enc = tok(texts, padding=True, return_special_tokens_mask=True, return_tensors="np")
    input_ids = enc["input_ids"].astype(np.int64)
    attention_mask = enc["attention_mask"].astype(np.int64)
    special = enc["special_tokens_mask"].astype(np.int64)
    masked, labels = mask_batch(
        tok,
        input_ids,
        special,
        np.random.default_rng(case.seed),
        case.mlm_probability,
        case.mask_replace_prob,
        case.random_replace_prob,
    )
    logits_t = torch.from_numpy(torch_logits(spec, model, masked, attention_mask))
    labels_t = torch.from_numpy(labels)
    vocab = logits_t.shape[-1]
    loss = torch.nn.functional.cross_entropy(
        logits_t.view(-1, vocab), labels_t.view(-1), ignore_index=IGNORE_INDEX
    )
    per_token = torch.nn.functional.cross_entropy(
        logits_t.view(-1, vocab), labels_t.view(-1), ignore_index=IGNORE_INDEX, reduction="none"
    )
    arrays = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "special_tokens_mask": special,
        "masked_input_ids": masked,
        "labels": labels,
        "logits": logits_t.numpy().astype(np.float32),
        "loss": np.asarray(loss.item(), dtype=np.float32),
        "per_token_loss": per_token.numpy().astype(np.float32),
    }
    if "token_type_ids" in spec.input_names:
        arrays["token_type_ids"] = enc["token_type_ids"].astype(np.int64)
    counts = masking_counts(input_ids, masked, labels, tok.mask_token_id)
    checks = check_case(case, arrays, counts, spec, session)
    save_npz(path, arrays)
    return {
        "model": case.model,
        "seed": case.seed,
        "mlm_probability": case.mlm_probability,
        "mask_replace_prob": case.mask_replace_prob,
        "random_replace_prob": case.random_replace_prob,
        "texts": texts,
        "shape": list(input_ids.shape),
        "loss": float(arrays["loss"]),
        **counts,
        **checks,
    }


def check_case(
    case: CaseSpec,
    arrays: dict[str, np.ndarray],
    counts: dict[str, int],
    spec: ModelSpec,
    session: ort.InferenceSession,
) -> dict[str, float]:
    """Sanity checks of one case; returns the measured loss/logit agreements."""
    if arrays["attention_mask"].min() != 0:
        raise ExportError(f"{case.name}: no padding in the batch")
    if counts["n_masked"] == 0:
        raise ExportError(f"{case.name}: nothing was masked")
    if case.require_random_and_kept and (counts["n_random_replaced"] == 0 or counts["n_kept"] == 0):
        raise ExportError(f"{case.name}: needs >= 1 random replacement and >= 1 kept token: {counts}")
    ignored = (arrays["labels"] == IGNORE_INDEX).reshape(-1)
    if np.any(arrays["per_token_loss"][ignored] != 0):
        raise ExportError(f"{case.name}: per-token loss is non-zero at ignored positions")
    loss = float(arrays["loss"])
    np_loss = cross_entropy_np(arrays["logits"], arrays["labels"])
    rel_np = abs(np_loss - loss) / abs(loss)
    if rel_np > TOLERANCES["loss_rtol_torch_logits"]:
        raise ExportError(f"{case.name}: numpy loss {np_loss} vs torch {loss} (rel {rel_np:.2g})")
    ort_out = ort_logits(spec, session, arrays["masked_input_ids"], arrays["attention_mask"])
    ort_diff = float(np.abs(ort_out - arrays["logits"]).max())
    rel_ort = abs(cross_entropy_np(ort_out, arrays["labels"]) - loss) / abs(loss)
    if ort_diff >= TOLERANCES["ort_logits_atol"] or rel_ort > TOLERANCES["loss_rtol_ort_logits"]:
        raise ExportError(f"{case.name}: ORT logits diff {ort_diff:.3g}, loss rel diff {rel_ort:.3g}")
    return {"ort_vs_torch_max_abs": ort_diff, "ort_loss_rel_diff": rel_ort, "numpy_loss_rel_diff": rel_np}


# --------------------------------------------------------------------------------------------
# e. Per-sample masked-LM reference (splade-tiny on WikiText-2, tiny models on eval.txt)
# --------------------------------------------------------------------------------------------


def per_sample_masked_lm(
    tok: PreTrainedTokenizerFast,
    samples: Sequence[str],
    max_length: int,
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> list[dict[str, Any]]:
    """Mask each sample alone with ``default_rng([REFERENCE_SEED, i])`` and score its masked tokens.

    Sample i is encoded alone (truncation to ``max_length``, no padding), masked with
    ``numpy_mask_tokens`` (0.15 / 0.8 / 0.1) and run through ``forward`` (float32 logits
    [1, L, V]).  Returns per-sample sums of NLL, correct top-1 counts and masking counts.
    """
    results = []
    for index, text in enumerate(samples):
        enc = tok(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
        full_length = len(tok(text)["input_ids"])
        input_ids = np.asarray([enc["input_ids"]], dtype=np.int64)
        special = np.asarray([enc["special_tokens_mask"]], dtype=np.int64)
        masked, labels = mask_batch(
            tok, input_ids, special, np.random.default_rng([REFERENCE_SEED, index]), **REFERENCE_MLM
        )
        selected = labels[0] != IGNORE_INDEX
        result = {
            "n_tokens": int(input_ids.shape[1]),
            "truncated": full_length > max_length,
            "nll_sum": 0.0,
            "n_correct": 0,
        }
        result.update(masking_counts(input_ids, masked, labels, tok.mask_token_id))
        if selected.any():
            logits = forward(masked, np.ones_like(masked))[0][selected].astype(np.float64)
            targets = labels[0][selected]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            result["nll_sum"] = float(-log_probs[np.arange(len(targets)), targets].sum())
            result["n_correct"] = int((logits.argmax(axis=1) == targets).sum())
        results.append(result)
    return results


def summarize_masked_lm(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-sample results: CE = total NLL / number of masked tokens."""
    n_masked = sum(item["n_masked"] for item in results)
    nll = sum(item["nll_sum"] for item in results)
    return {
        "n_samples": len(results),
        "n_tokens": sum(item["n_tokens"] for item in results),
        "n_masked": n_masked,
        "n_mask_token": sum(item["n_mask_token"] for item in results),
        "n_random_replaced": sum(item["n_random_replaced"] for item in results),
        "n_kept": sum(item["n_kept"] for item in results),
        "n_truncated": sum(bool(item["truncated"]) for item in results),
        "cross_entropy": nll / n_masked,
        "top1_accuracy": sum(item["n_correct"] for item in results) / n_masked,
        "n_masked_per_sample_first_20": [item["n_masked"] for item in results[:20]],
    }


def masking_parameters(max_length: int) -> dict[str, Any]:
    """The per-sample masking parameters and definition, recorded next to each figure."""
    return {
        "seed": REFERENCE_SEED,
        "max_length": max_length,
        "truncation": True,
        **REFERENCE_MLM,
        "definition": {
            "generator": "numpy.random.default_rng([seed, i]) for sample i (0-based)",
            "masking": "transformers DataCollatorForLanguageModeling.numpy_mask_tokens, each sample alone "
            "[1, L_i], encoded with truncation to max_length and no padding",
            "cross_entropy": "sum of NLL over all masked tokens / number of masked tokens (natural log)",
        },
    }


def wikitext_samples(path: Path, count: int) -> list[str]:
    """First ``count`` lines of wiki.test.raw that are non-blank and not " = " headings."""
    samples = [line for line in read_lines(path) if line.strip() and not line.startswith(" = ")]
    return samples[:count]


def splade_reference(shared: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Torch masked-LM figures of splade-tiny on WikiText-2 test lines (500 and first 200)."""
    model_dir = shared / "real" / "splade-tiny"
    wiki = shared / "real" / "wikitext-2-raw" / "wiki.test.raw"
    if not model_dir.is_dir() or not wiki.is_file():
        reason = f"skipped: shared material not found ({model_dir} / {wiki})"
        print(f"NOTE: splade-tiny reference {reason}", file=sys.stderr)
        return {"skipped": reason}, {"skipped": reason}
    tok = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"), **BERT_SPECIALS)
    model = BertForMaskedLM.from_pretrained(str(model_dir), dtype=torch.float32)
    model.eval()

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            inputs = {
                "input_ids": torch.from_numpy(input_ids),
                "attention_mask": torch.from_numpy(attention_mask),
                "token_type_ids": torch.zeros_like(torch.from_numpy(input_ids)),
            }
            return model(**inputs).logits.numpy()

    samples = wikitext_samples(wiki, SPLADE_N_SAMPLES)
    results = per_sample_masked_lm(tok, samples, SPLADE_MAX_LENGTH, forward)
    ort_check = splade_onnx_check(model_dir, tok, samples, summarize_masked_lm(results)["cross_entropy"])
    common = {
        "model": "<shared>/real/splade-tiny (BertForMaskedLM.from_pretrained, torch float32, eval)",
        "model_safetensors_sha256": sha256_file(model_dir / "model.safetensors"),
        "tokenizer": "PreTrainedTokenizerFast(tokenizer_file=<shared>/real/splade-tiny/tokenizer.json)",
        "len_tokenizer": len(tok),
        "data": "<shared>/real/wikitext-2-raw/wiki.test.raw",
        "data_sha256": sha256_file(wiki),
        "selection": "lines split on '\\n' with a trailing '\\r' removed, decoded as UTF-8; keep lines that are "
        "not whitespace-only and do not start with ' = '; take the first N of those",
        **masking_parameters(SPLADE_MAX_LENGTH),
        "forward": "each sample alone, no padding, attention_mask = 1, token_type_ids = 0",
    }
    full = {**common, **summarize_masked_lm(results), **ort_check}
    small = {**common, **summarize_masked_lm(results[:SPLADE_N_SAMPLES_SMALL])}
    return full, small


def splade_onnx_check(
    model_dir: Path, tok: PreTrainedTokenizerFast, samples: Sequence[str], torch_ce: float
) -> dict[str, Any]:
    """Same figure with the shared model.onnx under ONNX Runtime (informative; not a golden value)."""
    path = model_dir / "model.onnx"
    if not path.is_file():
        return {"onnx_cross_entropy": None}
    session = ort_session(path)

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        return session.run(["logits"], feeds)[0]

    ce = summarize_masked_lm(per_sample_masked_lm(tok, samples, SPLADE_MAX_LENGTH, forward))["cross_entropy"]
    return {
        "onnx_cross_entropy": ce,
        "onnx_vs_torch_rel_diff": abs(ce - torch_ce) / torch_ce,
        "onnx_model_sha256": sha256_file(path),
    }


def eval_txt_reference(
    spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, eval_lines: Sequence[str]
) -> dict[str, Any]:
    """The same per-sample figure for a tiny model on the non-empty lines of eval.txt."""
    samples = [line for line in eval_lines if line.strip()]
    results = per_sample_masked_lm(
        tok, samples, MAX_SEQUENCE_LENGTH, lambda ids, mask: torch_logits(spec, model, ids, mask)
    )
    summary = summarize_masked_lm(results)
    summary.update(masking_parameters(MAX_SEQUENCE_LENGTH))
    summary["selection"] = "non-empty (not whitespace-only) lines of text/eval.txt, in order"
    summary["uniform_cross_entropy"] = math.log(len(tok))
    return summary


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


@dataclass
class ExportedModel:
    """A trained model with its tokenizer, ONNX session and manifest entry."""

    spec: ModelSpec
    model: PreTrainedModel
    tok: PreTrainedTokenizerFast
    session: ort.InferenceSession
    entry: dict[str, Any]


def prepare_text(out: Path) -> tuple[Path, Path]:
    """Copy the hand-written texts into ``out`` (unless exporting in place); return their paths."""
    for relative in TEXT_FILES:
        source, target = GOLDEN_DIR / relative, out / relative
        if source.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return out / TEXT_FILES[0], out / TEXT_FILES[1]


def write_tokenizer(
    spec: ModelSpec, trained_tokenizers: dict[str, Tokenizer], model_dir: Path, eval_lines: Sequence[str]
) -> dict[str, Any]:
    """Save one model's tokenizer files and check them against the slow tokenizers."""
    model_dir.mkdir(parents=True, exist_ok=True)
    save_tokenizer_files(trained_tokenizers[spec.tokenizer.kind], spec.tokenizer, model_dir)
    tok = load_fast_tokenizer(model_dir, spec.tokenizer)
    return check_slow_tokenizers(model_dir, spec.tokenizer, tok, list(eval_lines) + [""])


def export_model(
    spec: ModelSpec,
    model_dir: Path,
    trained: tuple[dict[str, np.ndarray], dict[str, Any]],
    slow_check: dict[str, Any],
    train_lines: Sequence[str],
    eval_lines: Sequence[str],
    timer: Timer,
) -> ExportedModel:
    """Load the trained weights, save config.json, export to ONNX and verify one model."""
    tok = load_fast_tokenizer(model_dir, spec.tokenizer)
    weights, training = trained
    timer.steps[f"train {spec.name} (worker)"] = training["seconds"]
    train_record = training["record"]
    model = load_trained_model(spec, tok, weights)
    check_masked_head_matches_forward(spec, model, tok, train_lines[:16])
    model.config.save_pretrained(str(model_dir))
    onnx_path = model_dir / "model.onnx"
    opset = timer.measure(f"export {spec.name}", lambda: export_onnx(spec, model, tok, onnx_path))
    verification = timer.measure(
        f"verify {spec.name}", lambda: verify_onnx(spec, model, tok, onnx_path, eval_lines)
    )
    config = model.config
    entry = {
        "dir": f"models/{spec.name}",
        "architecture": spec.architecture,
        "inputs": list(spec.input_names),
        "outputs": ["logits"],
        "vocab_size": int(config.vocab_size),
        "len_tokenizer": len(tok),
        "mask_token_id": tok.mask_token_id,
        "pad_token_id": tok.pad_token_id,
        "cls_token_id": tok.cls_token_id,
        "sep_token_id": tok.sep_token_id,
        "unk_token_id": tok.unk_token_id,
        "special_tokens": dict(spec.tokenizer.special_tokens),
        "tokenizer_kind": spec.tokenizer.kind,
        "max_position_embeddings": int(config.max_position_embeddings),
        "max_sequence_length": MAX_SEQUENCE_LENGTH,
        "n_parameters": sum(parameter.numel() for parameter in model.parameters()),
        "attn_implementation": str(config._attn_implementation),
        "train": train_record,
        "export": {"opset": opset, "dynamo": True, "external_data": False, **verification},
        "slow_tokenizer_matches_fast": all(slow_check["checkers"].values()),
        "slow_tokenizer_check": slow_check,
        "demo_predictions": demo_predictions(spec, model, tok),
        "eval_txt_reference": eval_txt_reference(spec, model, tok, eval_lines),
    }
    return ExportedModel(spec, model, tok, ort_session(onnx_path), entry)


def versions() -> dict[str, str]:
    """Versions of everything that influences the output."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "onnx": onnx.__version__,
        "onnxscript": onnxscript.__version__,
        "onnxruntime": ort.__version__,
    }


def file_hashes(out: Path) -> dict[str, str]:
    """sha256 of every exported file (relative POSIX paths), except manifest.json."""
    paths = [out / relative for relative in TEXT_FILES]
    paths += sorted((out / "models").rglob("*")) + sorted((out / "cases").glob("*.npz"))
    return {path.relative_to(out).as_posix(): sha256_file(path) for path in paths if path.is_file()}


def run_export(out: Path, shared: Path, with_splade: bool, jobs: int) -> dict[str, Any]:
    """Run every export step into ``out`` and return the manifest."""
    configure_torch()
    timer = Timer()
    train_path, eval_path = prepare_text(out)
    train_lines = [line for line in read_lines(train_path) if line.strip()]
    eval_lines = read_lines(eval_path)
    tokenizers_ = {kind: train_tokenizer_deterministically(kind, train_path) for kind in ("wordpiece", "bpe")}
    model_dirs = {spec.name: out / "models" / spec.name for spec in MODEL_SPECS}
    slow_checks = {
        spec.name: write_tokenizer(spec, tokenizers_, model_dirs[spec.name], eval_lines)
        for spec in MODEL_SPECS
    }
    trained = timer.measure(
        f"train all models (jobs={jobs})", lambda: train_all(model_dirs, train_path, jobs)
    )
    exported = {
        spec.name: export_model(
            spec,
            model_dirs[spec.name],
            trained[spec.name],
            slow_checks[spec.name],
            train_lines,
            eval_lines,
            timer,
        )
        for spec in MODEL_SPECS
    }

    (out / "cases").mkdir(parents=True, exist_ok=True)
    cases = {}
    for case in CASE_SPECS:
        item = exported[case.model]
        path = out / "cases" / f"{case.name}.npz"
        cases[case.name] = {
            "file": f"cases/{case.name}.npz",
            **make_case(case, item.spec, item.model, item.tok, item.session, eval_lines, path),
        }

    if with_splade:
        splade, splade_small = timer.measure("splade reference", lambda: splade_reference(shared))
    else:
        splade = splade_small = {"skipped": "--no-splade given"}

    manifest = {
        "generator": "golden_data/export_golden.py",
        "how_to_regenerate": "pip install .[golden] && python golden_data/export_golden.py",
        "versions": versions(),
        "tolerances": dict(TOLERANCES),
        "text": {
            "train": {"file": TEXT_FILES[0], "n_lines": len(read_lines(train_path))},
            "eval": {
                "file": TEXT_FILES[1],
                "n_lines": len(eval_lines),
                "n_empty_lines": sum(not line.strip() for line in eval_lines),
            },
            "origin": "written for this project",
        },
        "tokenizers": {
            "wordpiece": {
                "used_by": ["bert", "distilbert"],
                "vocab_size": tokenizers_["wordpiece"].get_vocab_size(),
                "deterministic_training": True,
                "determinism_fix": "sorted '##c' continuation tokens registered as trainer special tokens",
            },
            "bpe": {
                "used_by": ["roberta"],
                "vocab_size": tokenizers_["bpe"].get_vocab_size(),
                "deterministic_training": True,
            },
        },
        "models": {name: item.entry for name, item in exported.items()},
        "cases": cases,
        "case_counts_definition": "n_masked: labels != -100; n_mask_token: masked == mask id; n_random_replaced: masked "
        "differs from both the original and the mask id; n_kept: masked == original",
        "splade_wikitext": splade,
        "splade_wikitext_200": splade_small,
        "files": file_hashes(out),
    }
    log.info("timings (s): %s", json.dumps({**timer.steps, "total": timer.total()}))
    return manifest


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=GOLDEN_DIR, help="output folder (default: this golden_data folder)"
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_DIR.parent / "shared",
        help="shared material (default: <repo>/../shared)",
    )
    parser.add_argument("--no-splade", action="store_true", help="skip the splade-tiny WikiText reference")
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="training worker processes, 1 thread each (1 = in-process; same result)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        manifest = run_export(out, args.shared.resolve(), with_splade=not args.no_splade, jobs=args.jobs)
    except ExportError as error:
        print(f"EXPORT FAILED: {error}", file=sys.stderr)
        return 1
    write_json(out / "manifest.json", manifest)
    log.info("wrote %s (%d files)", out / "manifest.json", len(manifest["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
