"""Fake masked LMs for tests: each implements ``fillmask_np.runtime.MaskedLM`` through ``FakeMaskedLM``,
which gathers the masked rows from the full [B, L, V] logits its subclass computes."""

from __future__ import annotations

from typing import Any

import numpy as np

from fillmask_np.runtime.protocol import check_positions


class FakeMaskedLM:
    """A ``MaskedLM`` whose subclasses define ``logits(input_ids) -> [B, L, V]`` float32."""

    name = "<fake>"
    max_length: int | None = None
    gathers_positions = False
    input_names = ("input_ids", "attention_mask", "token_type_ids")
    files: tuple[str, ...] = ()  # held in memory: no file to protect from a run's outputs

    def __init__(self, vocab_size: int | None) -> None:
        self.vocab_size = vocab_size

    def logits(self, input_ids: np.ndarray) -> np.ndarray:  # [B, L] -> [B, L, V]
        raise NotImplementedError

    def check_tokenizer(self, tokenizer: Any) -> None:
        """Accept any tokenizer (the fakes' vocabularies are chosen by each test)."""

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        ids = np.asarray(input_ids)
        positions = check_positions(positions, ids.shape)
        return self.logits(ids)[positions[:, 0], positions[:, 1]]  # [B, L, V] -> [M, V]

    def describe(self) -> dict[str, Any]:
        return {"path": None, "backend": type(self).__name__}


class TableModel(FakeMaskedLM):
    """Logits at a position depend on the token there only: table[input_id] (+ noise)."""

    def __init__(self, vocab: int = 1000, *, noise: float = 0.0, seed: int = 0) -> None:
        super().__init__(vocab)
        rng = np.random.default_rng(seed)
        self.table = rng.normal(size=(vocab, vocab)).astype(np.float32)  # [V, V]
        self.table += np.float32(4.0) * np.eye(vocab, dtype=np.float32)  # the input token scores highest
        if noise:
            self.table += rng.normal(scale=noise, size=(vocab, vocab)).astype(np.float32)

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        return self.table[input_ids]  # [B, L] -> [B, L, V]


class FixedLogits(FakeMaskedLM):
    """Every position gets the same logits ``row`` [V]: log P(t) = row[t] - logsumexp(row)."""

    def __init__(self, row: np.ndarray) -> None:
        super().__init__(None)
        self.row = row.astype(np.float32)

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.row, input_ids.shape + self.row.shape).copy()  # [B, L, V]


class CountsMasks(FakeMaskedLM):
    """Logit 0 of every position is the number of mask tokens in its row, the rest 0: log P(t > 0) = -log(V-1+e^k)."""

    def __init__(self, vocab: int, mask_id: int) -> None:
        super().__init__(None)
        self.vocab, self.mask_id = vocab, mask_id

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        logits = np.zeros(input_ids.shape + (self.vocab,), dtype=np.float32)  # [B, L, V]
        logits[:, :, 0] = (input_ids == self.mask_id).sum(axis=1)[:, None]
        return logits
