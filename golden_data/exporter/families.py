"""Specifications of the further model families (ALBERT, ELECTRA, XLM-R, DeBERTa-v3, ModernBERT, ESM-2).

Their configs are built in ``family_models``; their tokenizers in ``unigram``, ``protein`` and
``tokenization``.  ``ALL_MODEL_SPECS`` are the models the export produces (``select`` narrows them for ``--models``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .specs import (
    BERT_PROMPTS,
    BERT_SPECIALS,
    MODEL_SPECS,
    ROBERTA_PROMPTS,
    ROBERTA_SPECIALS,
    WORDPIECE_EXTRA,
    CaseSpec,
    ExportError,
    ModelSpec,
    TokenizerSpec,
    TrainSpec,
)

WITH_TYPES = ("input_ids", "attention_mask", "token_type_ids")
WITHOUT_TYPES = ("input_ids", "attention_mask")

ALBERT_SPECIALS = {
    "bos_token": "[CLS]",
    "eos_token": "[SEP]",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
DEBERTA_SPECIALS = {**ALBERT_SPECIALS, "unk_token": "[UNK]", "pad_token": "[PAD]"}
MODERNBERT_SPECIALS = dict(BERT_SPECIALS)
ESM_SPECIALS = {
    "cls_token": "<cls>",
    "pad_token": "<pad>",
    "eos_token": "<eos>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}
CASED_BRACKET_PROMPTS = tuple(prompt.replace("<mask>", "[MASK]") for prompt in ROBERTA_PROMPTS)
PROTEIN_PROMPTS = (
    "MKTAYIAKQRQISFVKSHFSRQ<mask>EERLGLIEVQAPILSRVGDGTQDNLSG",
    "MAL<mask>MRLLPLLALLALWGPDPAAA",
    "MSE<mask>KLVEK",
)

FAMILY_MODEL_SPECS = (
    ModelSpec(
        name="albert",
        architecture="AlbertForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="unigram",
            trained="unigram_albert",
            special_tokens=ALBERT_SPECIALS,
            model_input_names=WITH_TYPES,
            tokenizer_class="AlbertTokenizer",
            extra_config={"do_lower_case": True, "keep_accents": False},
        ),
        train=TrainSpec(seed=4567, steps=700, mlm_probability=0.3),
        demo_prompts=BERT_PROMPTS,
    ),
    ModelSpec(
        name="electra",
        architecture="ElectraForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="wordpiece",
            special_tokens=BERT_SPECIALS,
            model_input_names=WITH_TYPES,
            tokenizer_class="ElectraTokenizer",
            extra_config=WORDPIECE_EXTRA,
        ),
        train=TrainSpec(seed=5678, steps=700, mlm_probability=0.3),
        demo_prompts=BERT_PROMPTS,
    ),
    ModelSpec(
        name="xlm_roberta",
        architecture="XLMRobertaForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="unigram",
            trained="unigram_xlmr",
            special_tokens=ROBERTA_SPECIALS,
            model_input_names=WITHOUT_TYPES,
            tokenizer_class="XLMRobertaTokenizer",
        ),
        train=TrainSpec(seed=6789, steps=700, mlm_probability=0.3),
        demo_prompts=ROBERTA_PROMPTS,
    ),
    ModelSpec(
        name="deberta_v2",
        architecture="DebertaV2ForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="unigram",
            trained="unigram_deberta",
            special_tokens=DEBERTA_SPECIALS,
            model_input_names=WITH_TYPES,
            tokenizer_class="DebertaV2Tokenizer",
            extra_config={"do_lower_case": False, "split_by_punct": False},
        ),
        train=TrainSpec(seed=7890, steps=600, mlm_probability=0.3),
        demo_prompts=CASED_BRACKET_PROMPTS,
    ),
    ModelSpec(
        name="modernbert",
        architecture="ModernBertForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="bpe",
            trained="bpe_bert_specials",
            special_tokens=MODERNBERT_SPECIALS,
            model_input_names=WITHOUT_TYPES,
            tokenizer_class="PreTrainedTokenizerFast",
        ),
        train=TrainSpec(seed=8901, steps=700, mlm_probability=0.3),
        demo_prompts=CASED_BRACKET_PROMPTS,
    ),
    ModelSpec(
        name="esm",
        architecture="EsmForMaskedLM",
        tokenizer=TokenizerSpec(
            kind="residue",
            special_tokens=ESM_SPECIALS,
            model_input_names=WITHOUT_TYPES,
            tokenizer_class="EsmTokenizer",
        ),
        train=TrainSpec(seed=9012, steps=500, batch_size=16, mlm_probability=0.15),
        demo_prompts=PROTEIN_PROMPTS,
        corpus="protein",
    ),
)

FAMILY_CASE_SPECS = tuple(
    CaseSpec(f"{spec.name}_p15", spec.name, seed=30 + index, mlm_probability=0.15)
    for index, spec in enumerate(FAMILY_MODEL_SPECS)
)

ALL_MODEL_SPECS = MODEL_SPECS + FAMILY_MODEL_SPECS
ALL_SPEC_BY_NAME = {spec.name: spec for spec in ALL_MODEL_SPECS}


def select(names: Sequence[str] | None) -> tuple[ModelSpec, ...]:
    """The models named (all of them for ``None``), in export order."""
    if names is None:
        return ALL_MODEL_SPECS
    unknown = sorted(set(names) - set(ALL_SPEC_BY_NAME))
    if unknown:
        raise ExportError(f"unknown model(s) {unknown}; known: {sorted(ALL_SPEC_BY_NAME)}")
    return tuple(spec for spec in ALL_MODEL_SPECS if spec.name in names)
