"""a. Train SentencePiece-style Unigram tokenizers (ALBERT, XLM-RoBERTa, DeBERTa-v3 flavours) deterministically.

Each flavour's normalizer, pre-tokenizer, template and decoder are the ones transformers' own
``AlbertTokenizer`` / ``XLMRobertaTokenizer`` / ``DebertaV2Tokenizer`` build from a ``vocab`` list (without
the SentencePiece ``Precompiled`` charsmap, which only a real ``.model`` file provides), so that those
classes rebuilt from our vocabulary must tokenize exactly like our tokenizer.json (see ``slow_tokenizers``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from .specs import TOKENIZER_VOCAB_SIZE

SCORE_DECIMALS = 6
# UnigramTrainer gives the required characters it could not keep the scores min + k * 1e-4, k = 0, 1, ...
# in hash-set order (different in every run); see canonical_pieces.
REQUIRED_CHAR_SCORE_STEP = 1e-4


@dataclass(frozen=True)
class UnigramFlavour:
    """One model family's Unigram tokenizer layout."""

    leading_specials: tuple[str, ...]  # ids 0..n-1, in the Unigram vocabulary with score 0.0
    mask: str
    # "leading" (ALBERT: one of the leading specials), "last" (XLM-R: the last id, in the Unigram vocabulary
    # with score 0.0) or "added" (DeBERTa-v3: the last id, an added token outside the Unigram vocabulary)
    mask_position: str
    mask_lstrip: bool
    unk: str
    single: str
    pair: str
    normalizer: str  # "albert" (lower-cased, accents stripped), "deberta" or "none" (XLM-R)
    whitespace_split: bool  # WhitespaceSplit before Metaspace (ALBERT, XLM-R) or Metaspace alone (DeBERTa)


BERT_TEMPLATE = ("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1")
FLAVOURS = {
    "unigram_albert": UnigramFlavour(
        leading_specials=("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"),
        mask="[MASK]",
        mask_position="leading",
        mask_lstrip=False,
        unk="<unk>",
        single=BERT_TEMPLATE[0],
        pair=BERT_TEMPLATE[1],
        normalizer="albert",
        whitespace_split=True,
    ),
    "unigram_xlmr": UnigramFlavour(
        leading_specials=("<s>", "<pad>", "</s>", "<unk>"),
        mask="<mask>",
        mask_position="last",
        mask_lstrip=True,
        unk="<unk>",
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        normalizer="none",
        whitespace_split=True,
    ),
    "unigram_deberta": UnigramFlavour(
        leading_specials=("[PAD]", "[CLS]", "[SEP]", "[UNK]"),
        mask="[MASK]",
        mask_position="added",
        mask_lstrip=False,
        unk="[UNK]",
        single=BERT_TEMPLATE[0],
        pair=BERT_TEMPLATE[1],
        normalizer="deberta",
        whitespace_split=False,
    ),
}


def _configure(tokenizer: Tokenizer, flavour: UnigramFlavour) -> None:
    """Set the flavour's normalizer and pre-tokenizer (as transformers' tokenizer classes build them)."""
    if flavour.normalizer == "albert":
        tokenizer.normalizer = normalizers.Sequence(
            [
                normalizers.Replace("``", '"'),
                normalizers.Replace("''", '"'),
                normalizers.NFKD(),
                normalizers.StripAccents(),
                normalizers.Lowercase(),
            ]
        )
    elif flavour.normalizer == "deberta":
        tokenizer.normalizer = normalizers.Sequence(
            [
                normalizers.Replace(Regex(r"\s{2,}|[\n\r\t]"), " "),
                normalizers.NFC(),
                normalizers.Strip(left=False, right=True),
            ]
        )
    metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    steps = [pre_tokenizers.WhitespaceSplit(), metaspace] if flavour.whitespace_split else [metaspace]
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps)


def canonical_pieces(pieces: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Make the trainer's pieces independent of its hash-map iteration order.

    UnigramTrainer sums scores in hash-map order (last-bit differences: scores are rounded to
    ``SCORE_DECIMALS``) and gives the characters it had to add the scores ``min + k * 1e-4`` in
    hash-set order (here given again in sorted character order).  Pieces are then sorted by score
    (descending), ties by piece.
    """
    rounded = {token: round(score, SCORE_DECIMALS) for token, score in pieces}
    floor = min(rounded.values())
    steps = {token: (score - floor) / REQUIRED_CHAR_SCORE_STEP for token, score in rounded.items()}
    required = sorted(
        token for token, step in steps.items() if len(token) == 1 and abs(step - round(step)) < 1e-3 and step < 50
    )
    for index, token in enumerate(required):
        rounded[token] = round(floor + index * REQUIRED_CHAR_SCORE_STEP, SCORE_DECIMALS)
    return sorted(rounded.items(), key=lambda item: (-item[1], item[0]))


def train_unigram(flavour_name: str, train_path: Path, vocab_size: int = TOKENIZER_VOCAB_SIZE) -> Tokenizer:
    """Train one flavour's Unigram tokenizer; ``len(tokenizer) == vocab_size`` (the mask included)."""
    flavour = FLAVOURS[flavour_name]
    probe = Tokenizer(models.Unigram())
    _configure(probe, flavour)
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size - (flavour.mask_position != "leading"),
        special_tokens=list(flavour.leading_specials),
        unk_token=flavour.unk,
        show_progress=False,
    )
    probe.train([str(train_path)], trainer)
    trained = json.loads(probe.to_str())["model"]["vocab"]
    pieces = canonical_pieces([(token, score) for token, score in trained if token not in flavour.leading_specials])
    vocab = [(token, 0.0) for token in flavour.leading_specials] + pieces
    if flavour.mask_position == "last":
        vocab.append((flavour.mask, 0.0))
    unk_id = flavour.leading_specials.index(flavour.unk)
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    _configure(tokenizer, flavour)
    ordered = flavour.leading_specials + ((flavour.mask,) if flavour.mask_position != "leading" else ())
    lstrip = {flavour.mask: flavour.mask_lstrip}
    tokenizer.add_special_tokens(
        [AddedToken(token, lstrip=lstrip.get(token, False), special=True, normalized=False) for token in ordered]
    )
    template_tokens = {token.split(":")[0] for token in flavour.pair.split() if not token.startswith("$")}
    tokenizer.post_processor = processors.TemplateProcessing(
        single=flavour.single,
        pair=flavour.pair,
        special_tokens=[(token, tokenizer.token_to_id(token)) for token in sorted(template_tokens)],
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    return tokenizer


def unigram_vocab(tokenizer_json: Path) -> list[tuple[str, float]]:
    """The (piece, score) list of a saved Unigram tokenizer.json."""
    model = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]
    return [(token, float(score)) for token, score in model["vocab"]]
