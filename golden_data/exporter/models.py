"""b. Build the seeded tiny masked-LM models, load trained weights and run float32 torch forwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import (
    BertConfig,
    BertForMaskedLM,
    DistilBertConfig,
    DistilBertForMaskedLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForMaskedLM,
)

from .family_models import build_family_model, decoder_is_tied
from .specs import MAX_SEQUENCE_LENGTH, ExportError, ModelSpec


def configure_torch() -> None:
    """Make torch deterministic and single-threaded (also for reproducible float results)."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def build_model(spec: ModelSpec, tok: PreTrainedTokenizerFast) -> PreTrainedModel:
    """Build a seeded tiny masked-LM model (hidden 64, 2 layers, 4 heads) for ``tok`` (see also family_models)."""
    torch.manual_seed(spec.train.seed)
    vocab_size = len(tok)
    common = {"vocab_size": vocab_size, "pad_token_id": tok.pad_token_id, "tie_word_embeddings": True}
    bert_sizes = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256}
    if spec.architecture == "BertForMaskedLM":
        config = BertConfig(
            **bert_sizes,
            max_position_embeddings=MAX_SEQUENCE_LENGTH,
            type_vocab_size=2,
            **common,
        )
        model: PreTrainedModel = BertForMaskedLM(config)
    elif spec.architecture == "RobertaForMaskedLM":
        # RoBERTa positions start at pad_token_id + 1, hence 2 extra position embeddings.
        config = RobertaConfig(
            **bert_sizes,
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
        model = build_family_model(spec, tok)
    if not decoder_is_tied(model):
        raise ExportError(f"{spec.name}: decoder is not tied to the word embeddings")
    return model


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


def float32_state_dict(model: PreTrainedModel) -> dict[str, np.ndarray]:
    """Every state-dict entry (tied weights under each of their names) as a float32 numpy copy."""
    return {key: value.detach().to(torch.float32).numpy().copy() for key, value in model.state_dict().items()}


def load_trained_model(
    spec: ModelSpec, tok: PreTrainedTokenizerFast, weights: dict[str, np.ndarray]
) -> PreTrainedModel:
    """A float32 eval-mode model with the trained weights (tied decoder kept tied)."""
    model = build_model(spec, tok)
    model.load_state_dict({key: torch.from_numpy(value) for key, value in weights.items()})
    if not decoder_is_tied(model):
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
