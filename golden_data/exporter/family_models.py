"""b. Configs, MLM heads and decoder ties of the further model families (see ``families``).

Sizes follow the base models (hidden 64, 2 layers, 4 heads) with each family's distinctive features:
factorized embeddings (ALBERT 32 < 64, ELECTRA generator 64 > 32), RoBERTa-style positions (XLM-R),
relative attention with log buckets and no absolute positions (DeBERTa-v3), rotary positions with
alternating global / sliding-window attention (ModernBERT) and rotary positions with token dropout (ESM-2).
"""

from __future__ import annotations

import torch
from transformers import (
    AlbertConfig,
    AlbertForMaskedLM,
    DebertaV2Config,
    DebertaV2ForMaskedLM,
    ElectraConfig,
    ElectraForMaskedLM,
    EsmConfig,
    EsmForMaskedLM,
    ModernBertConfig,
    ModernBertForMaskedLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    XLMRobertaConfig,
    XLMRobertaForMaskedLM,
)

from .specs import MAX_SEQUENCE_LENGTH, ModelSpec

SIZES = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256}
# deberta-v3's output layer is wider than its tokenizer (128100 vs 128001); this one is too.
DEBERTA_VOCAB_MULTIPLE = 64
# ModernBERT: window of the sliding-window (local) layers; every 3rd layer from the first is global.
MODERNBERT_LOCAL_ATTENTION = 32


def _ids(tok: PreTrainedTokenizerFast) -> dict[str, int]:
    return {"vocab_size": len(tok), "pad_token_id": tok.pad_token_id, "tie_word_embeddings": True}


def build_family_model(spec: ModelSpec, tok: PreTrainedTokenizerFast) -> PreTrainedModel:
    """A freshly initialized (already seeded) tiny model of one of the further families."""
    ids = _ids(tok)
    if spec.architecture == "AlbertForMaskedLM":
        config = AlbertConfig(
            **SIZES,
            embedding_size=32,
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            type_vocab_size=2,
            bos_token_id=tok.cls_token_id,
            eos_token_id=tok.sep_token_id,
            **ids,
        )
        return AlbertForMaskedLM(config)
    if spec.architecture == "ElectraForMaskedLM":
        config = ElectraConfig(
            **{**SIZES, "hidden_size": 32, "intermediate_size": 128},
            embedding_size=64,
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            type_vocab_size=2,
            **ids,
        )
        return ElectraForMaskedLM(config)
    if spec.architecture == "XLMRobertaForMaskedLM":
        # Positions start at pad_token_id + 1, hence 2 extra position embeddings (as RoBERTa).
        config = XLMRobertaConfig(
            **SIZES,
            max_position_embeddings=MAX_SEQUENCE_LENGTH + 2,
            type_vocab_size=1,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            **ids,
        )
        return XLMRobertaForMaskedLM(config)
    if spec.architecture == "DebertaV2ForMaskedLM":
        multiple = DEBERTA_VOCAB_MULTIPLE
        config = DebertaV2Config(
            **SIZES,
            **{**ids, "vocab_size": -(-len(tok) // multiple) * multiple},
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            relative_attention=True,
            position_buckets=32,
            max_relative_positions=-1,
            pos_att_type=["p2c", "c2p"],
            position_biased_input=False,
            norm_rel_ebd="layer_norm",
            share_att_key=True,
            type_vocab_size=0,
            layer_norm_eps=1e-7,
            legacy=False,  # the MLM head of the real checkpoints (lm_predictions.lm_head.*)
        )
        return DebertaV2ForMaskedLM(config)
    if spec.architecture == "ModernBertForMaskedLM":
        config = ModernBertConfig(
            **{**SIZES, "intermediate_size": 128},
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            local_attention=MODERNBERT_LOCAL_ATTENTION,
            cls_token_id=tok.cls_token_id,
            sep_token_id=tok.sep_token_id,
            bos_token_id=tok.cls_token_id,
            eos_token_id=tok.sep_token_id,
            **ids,
        )
        # sdpa differs from ONNX Runtime (~1e-3) at padded query rows whose whole window is padding.
        config._attn_implementation = "eager"
        return ModernBertForMaskedLM(config)
    if spec.architecture == "EsmForMaskedLM":
        config = EsmConfig(
            **SIZES,
            max_position_embeddings=MAX_SEQUENCE_LENGTH + 2,
            position_embedding_type="rotary",
            token_dropout=True,
            emb_layer_norm_before=False,
            mask_token_id=tok.mask_token_id,
            layer_norm_eps=1e-5,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            **ids,
        )
        return EsmForMaskedLM(config)
    raise ValueError(spec.architecture)


def prepare_float64_training(model: PreTrainedModel) -> PreTrainedModel:
    """Switch a model to the attention it trains with in float64 (the export uses the built one).

    ModernBERT's eager attention takes its softmax in float32: the float64 mask minimum becomes -inf
    there, and padded rows whose whole sliding window is padding turn into NaN, which reaches the
    gradients.  It trains with sdpa, the same attention computed in float64.
    """
    if isinstance(model, ModernBertForMaskedLM):
        model.set_attn_implementation("sdpa")
    return model


def family_mlm_head(model: PreTrainedModel, hidden: torch.Tensor) -> torch.Tensor:
    """Apply the MLM head of a further-family model to (selected) encoder outputs."""
    if isinstance(model, AlbertForMaskedLM):
        return model.predictions(hidden)
    if isinstance(model, ElectraForMaskedLM):
        return model.generator_lm_head(model.generator_predictions(hidden))
    if isinstance(model, (XLMRobertaForMaskedLM, EsmForMaskedLM)):
        return model.lm_head(hidden)
    if isinstance(model, DebertaV2ForMaskedLM):
        if model.legacy:
            return model.cls(hidden)
        return model.lm_predictions(hidden, model.deberta.embeddings.word_embeddings)
    if isinstance(model, ModernBertForMaskedLM):
        return model.decoder(model.head(hidden))
    raise TypeError(type(model))


def decoder_is_tied(model: PreTrainedModel) -> bool:
    """Whether the output projection is the word-embedding matrix.

    DeBERTa-v2's (non-legacy) head multiplies by the word embeddings directly, so it is tied by
    construction; the others share the parameter.
    """
    if isinstance(model, DebertaV2ForMaskedLM) and not model.legacy:
        return True
    return model.get_output_embeddings().weight is model.get_input_embeddings().weight
