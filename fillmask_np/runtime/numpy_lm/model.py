"""``NumpyMaskedLM``: a Hugging Face checkpoint (config.json + safetensors) run by NumPy alone, behind the
``MaskedLM`` protocol, so ``evaluate``, ``compare``, ``pseudo_log_likelihood`` and ``fill_mask`` take it as
they take ``OnnxMaskedLM``. The LM head runs on the scored rows only (``gathers_positions``).

``precision="float32"`` (the default) computes in float32 and is batch-invariant: every sequence runs alone at
its true length (``sequences``), so a sample's logits are bit-identical whatever else is in its batch, the
batch size, the order and the thread count. ``precision="float64"`` widens the stored weights once and runs
every operation in float64: the reference float32 runs are measured against."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InputFileError, ModelError
from ..compat import check_tokenizer_fits
from ..contract import max_positions, read_config
from ..protocol import check_inputs, check_positions
from ..session import check_threads
from .checkpoint import INDEX
from .registry import load_network
from .sequences import each_sequence, real_lengths, same_length

if TYPE_CHECKING:  # pragma: no cover
    from ...tokenization import Tokenizer

__all__ = ["NumpyMaskedLM", "PRECISIONS"]

PRECISIONS = ("float32", "float64")


class NumpyMaskedLM:
    """A masked LM computed with NumPy from ``config.json`` and ``model.safetensors`` (or its shards).

    Args:
        path: the checkpoint directory (or its ``model.safetensors``).
        precision: ``"float32"`` (default; batch-invariant) or ``"float64"`` (every operation in float64 from
            the stored weights: the exact reference).
        threads: sequences computed at once, one per thread (default: the CPUs this process may use); the
            results do not depend on it.

    >>> model = NumpyMaskedLM.from_pretrained("splade-tiny/")  # doctest: +SKIP
    >>> logits = model(batch.input_ids, batch.attention_mask)  # doctest: +SKIP
    """

    gathers_positions = True
    hub: dict[str, str] | None = None  # the Hub repo, revision and commit it came from (``hub.resolve_model``)

    def __init__(self, path: str | Path, *, precision: str = "float32", threads: int | None = None) -> None:
        if not isinstance(precision, str) or precision not in PRECISIONS:
            raise ModelError(f"precision={precision!r} is not one of {list(PRECISIONS)}; pass 'float32' (fast, "
                             f"batch-invariant) or 'float64' (the exact reference)")
        self.precision = precision
        self.dtype = np.dtype(precision)
        self.threads = check_threads(threads)
        if not isinstance(path, (str, Path)):
            raise InputFileError(f"path={path!r} is a {type(path).__name__}, not a path; pass the checkpoint "
                                 f"directory")
        path = Path(path)
        self.directory = path.parent if path.is_file() and path.suffix == ".safetensors" else path
        if not self.directory.is_dir():
            what = "is a file" if self.directory.exists() else "does not exist"
            raise InputFileError(f"model path {str(path)!r} {what}; pass a checkpoint directory holding "
                                 f"config.json and model.safetensors")
        if not (self.directory / "config.json").is_file():
            raise InputFileError(f"model directory {str(self.directory)!r} holds no config.json; save the model "
                                 f"with save_pretrained, which writes it beside the weights")
        self.config = read_config(self.directory / "config.json")
        self.network, self.checkpoint = load_network(self.directory, self.config, dtype=self.dtype)
        self.vocab_size: int = self.network.head.vocab_size
        self.max_length: int | None = max_positions(self.config)

    @classmethod
    def from_pretrained(cls, path: str | Path, *, precision: str = "float32",
                        threads: int | None = None) -> NumpyMaskedLM:
        """The checkpoint directory ``path`` (transformers' spelling of the constructor)."""
        return cls(path, precision=precision, threads=threads)

    @property
    def name(self) -> str:
        """The checkpoint directory, as messages and reports name the model."""
        return str(self.directory)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the model consumes."""
        return ("input_ids", "attention_mask") + (("token_type_ids",) if self.network.uses_token_types else ())

    @property
    def files(self) -> tuple[str, ...]:
        """The files the model was read from: config.json, the safetensors file(s) and a shard index."""
        index = self.directory / INDEX
        return (str(self.directory / "config.json"), *(str(f.path) for f in self.checkpoint.files),
                *((str(index),) if index.is_file() else ()))

    def check_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Refuse a tokenizer that cannot belong to this model (``compat.check_tokenizer_fits``)."""
        check_tokenizer_fits(self.name, self.vocab_size, self.config, tokenizer)

    def describe(self) -> dict[str, Any]:
        """Provenance: backend, path, sha256 of the safetensors file(s), stored dtype, model_type, precision."""
        hub = {"hub": self.hub} if self.hub else {}
        return {**hub, "backend": "numpy", "path": str(self.directory), "sha256": self.checkpoint.sha256(),
                "dtype": self.checkpoint.dtype_summary(), "model_type": self.config.get("model_type"),
                "gathers_positions": True, "precision": self.precision}

    def _inputs(self, input_ids: Any, attention_mask: Any,
                token_type_ids: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Checked int64 [B, L] ids, mask and token types (or None)."""
        ids, mask, types = check_inputs(input_ids, attention_mask, token_type_ids, int(self.network.words.shape[0]))
        if self.max_length is not None and ids.shape[1] > self.max_length:
            raise ModelError(f"sequence length {ids.shape[1]} exceeds the limit of model {self.name!r} "
                             f"({self.max_length} positions); truncate with max_length={self.max_length}")
        return ids.astype(np.int64), mask.astype(np.int64), None if types is None else types.astype(np.int64)

    def masked_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None,
                      positions: np.ndarray, *, pad_token_id: int = 0) -> np.ndarray:
        """Logits at ``positions`` only: each sequence's encoder at its true length, the LM head on its scored
        rows (and, for the BERT-like families and ESM-2, the last layer's position-wise part too: its queries, output
        projection and feed-forward block).

        A row's logits depend only on its sequence and the positions scored in it, never on the other
        sequences, the padded length, the batch's order or the thread count.

        Args:
            input_ids, attention_mask, token_type_ids: [B, L] integer arrays (types may be None).
            positions: [M, 2] integer (batch index, position) pairs.
            pad_token_id: accepted for the protocol; padding is read from ``attention_mask``.
        Returns:
            [M, V] logits in the model's precision, row i for ``positions[i]``.
        """
        ids, mask, types = self._inputs(input_ids, attention_mask, token_type_ids)
        positions = check_positions(positions, ids.shape)
        lengths = real_lengths(mask)  # [B]
        out = np.empty((len(positions), self.vocab_size), dtype=self.dtype)  # [M, V]
        wanted: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # b -> (out rows, positions, inverse)
        for b in np.unique(positions[:, 0]):
            rows = np.flatnonzero(positions[:, 0] == b)
            where, inverse = np.unique(positions[rows, 1], return_inverse=True)  # sorted, so order-free
            wanted[int(b)] = rows, where, inverse.reshape(-1)
        ends = {b: max(int(lengths[b]), int(where[-1]) + 1) for b, (_, where, _) in wanted.items()}
        states: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # b -> ([m, E] states, out rows, state rows)

        def run(group: np.ndarray) -> None:
            batch = np.concatenate([np.full(len(wanted[b][1]), i, dtype=np.intp) for i, b in enumerate(group)])
            position = np.concatenate([wanted[b][1] for b in group])
            hidden = self.network.hidden_at(*_rows(ids, mask, types, group, ends[int(group[0])]), batch, position)
            for i, b in enumerate(group):  # [sum m, H] -> each sequence's [m, E] head states
                rows, _, inverse = wanted[int(b)]
                states[int(b)] = self.network.head.transform(hidden[batch == i]), rows, inverse

        each_sequence(run, same_length(ends, workers=self.threads), workers=self.threads)
        self._decode(list(states.values()), out)
        return out

    def _decode(self, states: list[tuple[np.ndarray, np.ndarray, np.ndarray]], out: np.ndarray) -> None:
        """The LM head's decoder for every sequence, one vocabulary chunk per task: each ([m, E] head states,
        [r] out rows, [r] state rows) triple fills ``out[rows, chunk]`` from ``logits[state rows]``. out: [N, V]."""
        head = self.network.head
        parts = head.chunks()

        def run(i: int) -> None:
            for (_, rows, source), logits in zip(states, head.decode([state for state, _, _ in states], parts[i])):
                out[rows, parts[i]] = logits[source]  # [m, C] -> [r, C] in out's dtype

        each_sequence(run, range(len(parts)), workers=self.threads)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                 token_type_ids: np.ndarray | None = None, *, pad_token_id: int = 0) -> np.ndarray:
        """[B, L] ids, mask (and token types) -> [B, L, V] logits at every position, in the model's precision.

        Real positions are batch-invariant (each sequence runs at its true length); trailing padding
        positions, which torch also computes, come from a second run of the sequence at the padded length.
        """
        ids, mask, types = self._inputs(input_ids, attention_mask, token_type_ids)
        batch, length = ids.shape
        lengths = real_lengths(mask)  # [B]
        out = np.empty((batch, length, self.vocab_size), dtype=self.dtype)  # [B, L, V]

        states: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # (b, start) -> _decode's triple
        head = self.network.head

        def run(group: np.ndarray, end: int, start: dict[int, int]) -> None:
            hidden = self.network.hidden(*_rows(ids, mask, types, group, end))  # [G, end, H]
            for i, b in enumerate(group):  # its rows from start[b] on
                first = start[int(b)]
                states[int(b), first] = (head.transform(hidden[i, first:]), int(b) * length + np.arange(first, end),
                                         np.arange(end - first))

        real = {b: int(lengths[b]) for b in range(batch)}
        each_sequence(lambda group: run(group, real[int(group[0])], dict.fromkeys(real, 0)),
                      same_length(real, workers=self.threads), workers=self.threads)
        padded = {b: length for b, end in real.items() if end < length}  # [L - end, V] at the padding
        each_sequence(lambda group: run(group, length, real), same_length(padded, workers=self.threads),
                      workers=self.threads)
        self._decode(list(states.values()), out.reshape(batch * length, self.vocab_size))
        return out


def _rows(ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, group: np.ndarray,
          end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Batch rows ``group``'s first ``end`` positions as a batch: [G, end] ids, mask, types (or None)."""
    return ids[group, :end], mask[group, :end], None if types is None else types[group, :end]
