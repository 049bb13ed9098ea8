"""``generate``: masked-LM generation and infilling by iterative unmasking (Mask-Predict, MaskGIT style).

Each prompt's masks are filled over a few steps; each step runs the model once for a batch of prompts
(see ``unmasking``) and fills as many masks as the schedule says (see ``schedules``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np

from ..limits import option_label
from ..report import provenance
from ..text import Progress, check_output
from .candidates import allowed_ids
from .generation_options import GenerateOptions, check_options, prompt_texts
from .generation_result import Generation, Generations
from .history import write_history
from .inputs import input_paths
from .prompts import encode_prompts, sequence
from .schedules import Schedule, unmask_counts
from .unmasking import LoopStats, RowState, run_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..runtime import MaskedLM
    from ..tokenization import Tokenizer

__all__ = ["generate"]


def generate(model: MaskedLM, tokenizer: Tokenizer, texts: str | Sequence[str] | None = None, *,
             prefix: str | Sequence[str] | None = None, new_tokens: int | None = None, length: int | None = None,
             steps: int | None = None, schedule: Schedule = "linear",
             unmask: Literal["confidence", "random", "left_to_right"] = "confidence", sample: bool | None = None,
             temperature: float | None = None, top_k: int | None = None, top_p: float | None = None,
             seed: int | None = None, rng: np.random.Generator | None = None, num_samples: int = 1,
             targets: str | Sequence[str] | None = None, exclude_special: bool = True, max_steps: int | None = None,
             history_top_k: int = 0, history: str | Path | None = None, batch_size: int = 16,
             progress: bool | None = None) -> Generations:
    """Fill the masks of prompts over a few steps, each step one model run for a batch of prompts.

    Args:
        model: any ``MaskedLM`` (``OnnxMaskedLM``, ``NumpyMaskedLM``).
        tokenizer: its ``Tokenizer``.
        texts: one prompt or a list; each holds mask tokens, or is a prefix when ``new_tokens`` is given.
        prefix: the same as ``texts`` with ``new_tokens`` (pass one of the two).
        new_tokens: masks appended to each prompt, before the final special token (``[SEP]``, ``<eos>``).
        length: generate from nothing: one prompt of ``length`` masks between the special tokens (no texts).
        steps: unmasking steps T, 1 <= T <= masks of every prompt; None: one mask per step.
        schedule: "linear", "cosine" (masked fraction after step t: cos(pi/2 t/T)) or a list of counts per
            step summing to each prompt's masks; see ``fillmask_np.tasks.schedules``.
        unmask: which masks a step fills: "confidence" (highest top-1 probability, ties: earlier position),
            "left_to_right", or "random" (seeded).
        sample: draw tokens instead of the argmax. None: draw when ``temperature``, ``top_k`` or ``top_p``
            is given or ``num_samples`` > 1.
        temperature, top_k, top_p: the draw: softmax(logits / temperature) cut to the ``top_k`` best (default:
            all), then to the smallest set holding ``top_p`` (default 1) of the mass.
        seed: with sampling or ``unmask="random"``: row (prompt p, sample s) draws with
            ``np.random.default_rng([seed, p, s])``, so results do not depend on the batch.
        rng: instead of ``seed``, one Generator shared by every row (draws in row order each step).
        num_samples: generations per prompt.
        targets: allowed words, each one token (as fill_mask's single-token targets).
        exclude_special: never write special tokens ([CLS], [MASK], <pad>, ...; see ``candidates``).
        max_steps: stop after this many steps; masks left are reported in ``Generation.unfilled``.
        history_top_k: keep the k best allowed ids and probabilities at each still-masked position per step.
        history: write every step to this ``.npz`` (checked before any work, written atomically).
        batch_size: rows (prompts x samples) per model run.
        progress: a progress bar of the generations done on stderr (default: when stderr is a terminal).
    Returns:
        ``Generations``: ``out[i]`` is prompt ``i // num_samples``'s sample ``i % num_samples`` (``.text``,
        ``.ids``, ``.steps``); ``.model_runs``, ``.tokens_per_second``.

    >>> out = generate(model, tok, ["The [MASK] sat on the [MASK]."], steps=2)  # doctest: +SKIP
    >>> out[0].text, [s.positions.tolist() for s in out[0].steps]  # doctest: +SKIP
    ('the cat sat on the mat.', [[5], [2]])
    """
    options = check_options(GenerateOptions(
        steps=steps, schedule=schedule, unmask=unmask, sample=sample, temperature=temperature, top_k=top_k,
        top_p=top_p, seed=seed, rng=rng, num_samples=num_samples, exclude_special=exclude_special,
        max_steps=max_steps, history_top_k=history_top_k, batch_size=batch_size, new_tokens=new_tokens,
        length=length, targets=targets))
    texts_, appended = prompt_texts(texts, prefix, new_tokens, length)
    if history is not None:
        history = check_output(history, inputs=input_paths(model, tokenizer), what="--history")
    prompts = encode_prompts(model, tokenizer, texts_, new_tokens=appended,
                             fix=f", or pass {option_label('new_tokens', 'N', raw=True)} to append N masks")
    allowed = allowed_ids(tokenizer, targets, exclude_special)
    rows = []
    for p, (text, prompt) in enumerate(zip(texts_, prompts)):
        counts = unmask_counts(len(prompt.masks), options.steps, options.schedule, what=f"prompt {p} {text[:40]!r}")
        for s in range(options.num_samples):
            rows.append(RowState(prompt.ids.copy(), prompt.type_ids, prompt.masks.copy(),
                                 counts[:options.max_steps], options.unmask, *options.randomness(p, s)))
    stats = LoopStats()
    start = time.perf_counter()
    bar = Progress(enabled=progress, label="generate", total=len(rows), unit="generation")
    for b in range(0, len(rows), options.batch_size):
        filled = stats.tokens_filled
        run_rows(model, rows[b:b + options.batch_size], pad_token_id=tokenizer.pad_token_id, allowed=allowed,
                 history_top_k=options.history_top_k, stats=stats)
        bar.update(len(rows[b:b + options.batch_size]), stats.tokens_filled - filled)
    bar.close()
    seconds = time.perf_counter() - start
    items = []
    for i, row in enumerate(rows):
        p, s = divmod(i, options.num_samples)
        items.append(Generation(text=sequence(tokenizer, row.ids, skip_special_tokens=len(row.remaining) == 0),
                                ids=row.ids, steps=row.steps, prompt=texts_[p], prompt_index=p, sample_index=s,
                                input_ids=prompts[p].ids, unfilled=row.remaining))
    result = Generations(items, options.settings(), stats.model_runs, stats.positions_scored, stats.tokens_filled,
                         seconds)
    if history is not None:
        result.history_sha256 = write_history(history, result, options.history_top_k, provenance(model, tokenizer))
    return result

