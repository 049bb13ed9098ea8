"""d. The ``generate`` section: deterministic iterative unmasking (Mask-Predict / MaskGIT) run in torch.

Per model (``GENERATE_MODELS``) three prompts: an eval line with 6 words (residues) masked, the first words
(residues) of a line continued by 5 new masks, and 8 masks from nothing. Each is filled by every run of
``RUNS`` (schedule, steps, unmask order) with the argmax:

* prompt ids: ``tok(text)["input_ids"]``; new masks go before the last token when the tokenizer marks it
  special (``return_special_tokens_mask``: ``[SEP]``, ``</s>``, ``<eos>``), else at the end; ``length``
  masks are the new masks of the empty text;
* allowed ids: every id below ``len(tok)`` that is not in ``tok.all_special_ids``;
* counts per step, for M masks and T steps: ``n_0 = M``, ``n_t = min(n_{t-1} - 1, max(T - t, floor(M f(t/T))))``,
  ``n_T = 0``, count ``n_{t-1} - n_t``, with ``f(r) = 1 - r`` (linear: ``n = M (T - t) // T``, integers)
  or ``cos(pi/2 r)`` (cosine, floor with 1e-9 slack); or the explicit list;
* each step: one torch forward of the current ids (batch 1, unpadded), float32 logits, log-softmax in
  float64 at the still-masked positions; confidence = the best allowed log-probability; the ``count``
  most confident positions (ties: the earlier position), or the leftmost ones (``left_to_right``), get
  their best allowed id (ties: the lowest id), recorded in that order with ``exp(log_p)``.

``cases/generate_<model>.npz``: ``run_splits`` [R + 1] into ``input_ids`` / ``output_ids`` (the runs' ids
concatenated), and per filled token, in fill order, ``fill_run``, ``fill_step``, ``fill_position``,
``fill_token`` (int64) and ``fill_prob`` (float64).

Not wired into ``run.py`` yet; ``python -m golden_data.exporter.generation --random-init DIR`` writes
random-init checkpoints of the golden configs with this reference, for checking the library now.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .files import save_npz
from .models import torch_logits
from .pipeline import masked_text, spans
from .specs import ModelSpec

GENERATE_MODELS = ("bert", "roberta", "esm")
N_MASKED, N_NEW, N_LENGTH, MAX_TOKENS = 6, 5, 8, 40
# (schedule, steps or None for M, unmask); "list" is the explicit counts [1, 2, M - 3]
RUNS = (("linear", 1, "confidence"), ("linear", 3, "confidence"), ("linear", None, "confidence"),
        ("cosine", 3, "confidence"), ("cosine", 4, "confidence"), ("list", None, "confidence"),
        ("linear", 3, "left_to_right"))


DEFINITION = {
    "prompt": "tok(text)['input_ids']; new_tokens / length masks inserted before the last token when "
    "return_special_tokens_mask marks it, else appended",
    "allowed": "ids below len(tok) not in tok.all_special_ids",
    "counts": "n_0 = M, n_t = min(n_{t-1} - 1, max(T - t, floor(M f(t/T)))), n_T = 0; linear f = 1 - r "
    "(M (T - t) // T), cosine f = cos(pi/2 r) (floor with 1e-9 slack); a list: the counts",
    "step": "one torch forward (batch 1), float64 log-softmax at the still-masked positions; the count most "
    "confident (best allowed log-prob; ties: earlier position) or leftmost positions get their allowed argmax "
    "(ties: lowest id), in that order; prob = exp(log_p)",
    "npz": "run_splits into input_ids / output_ids; fill_run, fill_step, fill_position, fill_token, fill_prob "
    "per filled token in fill order",
}


def unmask_counts(n_masks: int, steps: int, schedule: str | Sequence[int]) -> list[int]:
    """Masks filled per step (module docstring)."""
    if not isinstance(schedule, str):
        return list(schedule)
    counts, left = [], n_masks
    for t in range(1, steps + 1):
        if schedule == "linear":
            target = n_masks * (steps - t) // steps
        else:
            target = math.floor(n_masks * math.cos(math.pi / 2 * t / steps) + 1e-9)
        after = 0 if t == steps else min(left - 1, max(steps - t, target))
        counts.append(left - after)
        left = after
    return counts


def prompt_ids(tok: PreTrainedTokenizerFast, text: str, new_tokens: int) -> list[int]:
    """``text`` encoded with its special tokens and ``new_tokens`` masks before the final special token."""
    enc = tok(text, return_special_tokens_mask=True)
    ids = list(enc["input_ids"])
    at = len(ids) - 1 if ids and enc["special_tokens_mask"][-1] else len(ids)
    return ids[:at] + [tok.mask_token_id] * new_tokens + ids[at:]


def fill(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast, ids: list[int],
         counts: Sequence[int], unmask: str) -> list[list[tuple[int, int, float]]]:
    """Fill ``ids`` in place; per step, the (position, token, probability) filled, in fill order."""
    allowed = torch.zeros(model.config.vocab_size, dtype=torch.bool)
    allowed[: len(tok)] = True
    allowed[tok.all_special_ids] = False
    remaining = [p for p, i in enumerate(ids) if i == tok.mask_token_id]
    steps = []
    for count in counts:
        array = np.asarray([ids], dtype=np.int64)
        logits = torch.from_numpy(torch_logits(spec, model, array, np.ones_like(array))[0])  # [L, V] float32
        log_p = torch.log_softmax(logits[remaining].double(), dim=-1)  # [R, V] float64
        scores = log_p.masked_fill(~allowed, float("-inf"))
        best = scores.argmax(dim=-1)  # [R], the first (lowest) id on a tie
        confidence = [float(scores[r, best[r]]) for r in range(len(remaining))]
        order = (sorted(range(len(remaining)), key=lambda r: (-confidence[r], remaining[r]))
                 if unmask == "confidence" else list(range(len(remaining))))[:count]
        step = [(remaining[r], int(best[r]), float(log_p[r, best[r]].exp())) for r in order]
        for position, token, _ in step:
            ids[position] = token
        remaining = [p for r, p in enumerate(remaining) if r not in set(order)]
        steps.append(step)
    return steps


def prompts(tok: PreTrainedTokenizerFast, lines: Sequence[str]) -> list[dict[str, Any]]:
    """The three prompts of a model (module docstring), as ``generate``'s keyword arguments."""
    usable = [line for line in lines if len(spans(tok, line)) >= 10 and len(tok(line)["input_ids"]) <= MAX_TOKENS]
    masked = masked_text(tok, usable[0], [(i + 0.5) / N_MASKED for i in range(N_MASKED)])
    words = list(re.finditer(r"\w+", usable[1]))
    prefix = usable[1][: words[2].end()] if len(words) >= 5 else usable[1][:8]
    return [{"texts": masked}, {"prefix": prefix, "new_tokens": N_NEW}, {"length": N_LENGTH}]


def model_generation(spec: ModelSpec, model: PreTrainedModel, tok: PreTrainedTokenizerFast,
                     lines: Sequence[str], path: Path) -> dict[str, Any]:
    """Write ``path`` (one model's npz) and return its manifest entry."""
    runs, inputs, outputs, fills = [], [], [], []
    for prompt in prompts(tok, lines):
        start = prompt_ids(tok, prompt.get("texts", prompt.get("prefix", "")),
                           prompt.get("new_tokens", prompt.get("length", 0)))
        n_masks = start.count(tok.mask_token_id)
        for schedule, steps, unmask in RUNS:
            plan: Any = [1, 2, n_masks - 3] if schedule == "list" else schedule
            total = len(plan) if schedule == "list" else steps or n_masks
            counts = unmask_counts(n_masks, total, plan)
            ids = list(start)
            for t, step in enumerate(fill(spec, model, tok, ids, counts, unmask)):
                fills += [(len(runs), t, position, token, prob) for position, token, prob in step]
            inputs.append(start)
            outputs.append(ids)
            runs.append({"prompt": prompt, "schedule": plan, "steps": None if schedule == "list" else total,
                         "unmask": unmask, "n_masks": n_masks, "counts": counts,
                         "text": tok.decode([i for i in ids if i != tok.pad_token_id], skip_special_tokens=True)})
    save_npz(path, {
        "run_splits": np.cumsum([0] + [len(i) for i in inputs]).astype(np.int64),
        "input_ids": np.concatenate(inputs).astype(np.int64), "output_ids": np.concatenate(outputs).astype(np.int64),
        **{f"fill_{name}": np.array([f[j] for f in fills], dtype=np.int64)
           for j, name in enumerate(("run", "step", "position", "token"))},
        "fill_prob": np.array([f[4] for f in fills], dtype=np.float64),
    })
    return {"runs": runs, "definition": DEFINITION}


def generation_reference(exported: dict[str, Any], eval_lines: dict[str, Sequence[str]], out: Path) -> dict[str, Any]:
    """The manifest's ``generate`` section: ``cases/generate_<model>.npz`` per model of ``GENERATE_MODELS``
    (``exported``: name -> ``ExportedModel``)."""
    section = {}
    for name, item in exported.items():
        if name in GENERATE_MODELS:
            path = out / "cases" / f"generate_{name}.npz"
            entry = model_generation(item.spec, item.model, item.tok, eval_lines[item.spec.corpus], path)
            section[name] = {"file": f"cases/generate_{name}.npz", **entry}
    return section


def random_init_reference(out: Path, names: Sequence[str], seed: int = 0) -> None:
    """Random-init checkpoints of the golden configs in ``out/<model>/`` (``save_pretrained`` + the golden
    tokenizer files), their ``cases/generate_<model>.npz`` and a ``manifest.json`` with ``models`` and
    ``generate``: the reference for checking ``fillmask_np`` before the trained models are regenerated."""
    import shutil

    from transformers import AutoConfig, AutoModelForMaskedLM

    from .exported import EVAL_FILES
    from .families import select
    from .files import read_lines, write_json
    from .specs import GOLDEN_DIR
    from .tokenization import load_fast_tokenizer

    (out / "cases").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"models": {}, "generate": {}}
    for spec in select(names):
        source, target = GOLDEN_DIR / "models" / spec.name, out / spec.name
        torch.manual_seed(seed)
        model = AutoModelForMaskedLM.from_config(AutoConfig.from_pretrained(source)).eval()
        model.save_pretrained(target)
        for file in source.iterdir():
            if file.suffix in (".json", ".txt") and file.name != "config.json":
                shutil.copyfile(file, target / file.name)
        tok = load_fast_tokenizer(target, spec.tokenizer)
        lines = read_lines(GOLDEN_DIR / EVAL_FILES[spec.corpus])
        entry = model_generation(spec, model, tok, lines, out / "cases" / f"generate_{spec.name}.npz")
        manifest["models"][spec.name] = {"dir": spec.name}
        manifest["generate"][spec.name] = {"file": f"cases/generate_{spec.name}.npz", **entry}
    write_json(out / "manifest.json", manifest)


if __name__ == "__main__":  # python -m golden_data.exporter.generation OUT [bert,roberta,esm]
    import sys

    from .models import configure_torch

    configure_torch()
    random_init_reference(Path(sys.argv[1]), sys.argv[2].split(",") if len(sys.argv) > 2 else GENERATE_MODELS)
