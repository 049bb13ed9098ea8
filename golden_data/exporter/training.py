"""b. Train the tiny models with dynamic MLM masking in float64, in single-threaded worker processes."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import (
    BertForMaskedLM,
    DataCollatorForLanguageModeling,
    DistilBertForMaskedLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    RobertaForMaskedLM,
)

from .families import ALL_SPEC_BY_NAME
from .family_models import family_mlm_head, prepare_float64_training
from .files import read_lines, save_npz, write_json
from .models import build_model, configure_torch, float32_state_dict, model_inputs, pad_batch
from .specs import IGNORE_INDEX, MAX_SEQUENCE_LENGTH, ExportError, ModelSpec, TrainSpec
from .tokenization import load_fast_tokenizer


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
    return family_mlm_head(model, hidden)


def masked_position_logits(
    model: PreTrainedModel, inputs: dict[str, torch.Tensor], selected: torch.Tensor
) -> torch.Tensor:
    """Logits at the ``selected`` positions only (training speed-up: skips the other rows)."""
    return _mlm_head(model, _hidden_states(model, inputs)[selected])


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
    spec = ALL_SPEC_BY_NAME[name]
    tok = load_fast_tokenizer(Path(model_dir), spec.tokenizer)
    lines = [line for line in read_lines(Path(train_path)) if line.strip()]
    model = prepare_float64_training(build_model(spec, tok).to(torch.float64))
    t0 = time.perf_counter()
    record = train_mlm(spec, model, tok, lines)
    record["attn_implementation"] = str(model.config._attn_implementation)
    seconds = time.perf_counter() - t0
    return float32_state_dict(model), {"record": record, "seconds": round(seconds, 1)}


def train_all(
    model_dirs: dict[str, Path], train_paths: dict[str, Path], jobs: int
) -> dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """Train the models of ``model_dirs`` on their corpus's ``train_paths`` entry, in ``jobs``
    single-threaded worker processes (1 = in this process)."""
    order = sorted((ALL_SPEC_BY_NAME[name] for name in model_dirs), key=lambda spec: -spec.train.steps)
    arguments = {spec.name: (spec.name, str(model_dirs[spec.name]), str(train_paths[spec.corpus])) for spec in order}
    cache = _dev_cache(arguments)
    results = {name: cache[name] for name in arguments if name in cache}
    todo = {name: args for name, args in arguments.items() if name not in results}
    if jobs <= 1:
        results.update({name: train_worker(*args) for name, args in todo.items()})
    elif todo:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {name: pool.submit(train_worker, *args) for name, args in todo.items()}
            results.update({name: future.result() for name, future in futures.items()})
    _save_dev_cache(arguments, results)
    return {name: results[name] for name in arguments}


_CACHE_ENV = "FILLMASK_NP_TRAIN_CACHE"  # development only: reuse trained weights between exports
_TRAINING_SOURCES = ("training", "specs", "families", "family_models", "models", "tokenization", "unigram", "protein")


def _cache_key(args: tuple[str, str, str]) -> str:
    """The model name + sha256 of the exporter's sources, its tokenizer files and its training text."""
    name, model_dir, train_path = args
    digest = hashlib.sha256(name.encode())
    sources = [Path(__file__).parent / f"{module}.py" for module in _TRAINING_SOURCES]
    paths = sources + sorted(Path(model_dir).glob("*")) + [Path(train_path)]
    for path in paths:  # the tokenizer files; not what an earlier export left there (config.json, model.onnx)
        if path.is_file() and path.suffix != ".onnx" and path.name != "config.json":
            digest.update(path.name.encode() + path.read_bytes())
    return f"{name}-{digest.hexdigest()[:16]}"


def _dev_cache(arguments: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    """Weights trained by an earlier export with identical sources (only when FILLMASK_NP_TRAIN_CACHE is set).

    Each model is ``<key>.npz`` (its float32 state dict, read with ``allow_pickle=False``) plus ``<key>.json``
    (its training record and seconds), written last, so a ``.json`` marks a complete entry.
    """
    root = os.environ.get(_CACHE_ENV)
    found: dict[str, Any] = {}
    for name, args in arguments.items():
        stem = Path(root or "/nonexistent") / _cache_key(args)
        weights_path, info_path = stem.with_name(stem.name + ".npz"), stem.with_name(stem.name + ".json")
        if root and weights_path.is_file() and info_path.is_file():
            with np.load(weights_path, allow_pickle=False) as archive:
                weights = {key: archive[key] for key in archive.files}
            found[name] = (weights, json.loads(info_path.read_text(encoding="utf-8")))
    return found


def _save_dev_cache(arguments: dict[str, tuple[str, str, str]], results: dict[str, Any]) -> None:
    """Store the trained weights for later exports (only when FILLMASK_NP_TRAIN_CACHE is set)."""
    root = os.environ.get(_CACHE_ENV)
    if not root:
        return
    Path(root).mkdir(parents=True, exist_ok=True)
    for name, args in arguments.items():
        stem = Path(root) / _cache_key(args)
        info_path = stem.with_name(stem.name + ".json")
        if not info_path.is_file():
            weights, info = results[name]
            save_npz(stem.with_name(stem.name + ".npz"), weights)
            write_json(info_path, info)
