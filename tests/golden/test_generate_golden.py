"""generate against the manifest's ``generate`` section: the deterministic unmasking loop (argmax, confidence
and left-to-right order, linear / cosine / explicit schedules, steps 1, some and one per mask) run in torch by
``golden_data/exporter/generation.py``.

A missing section fails (tests/golden/test_golden_files_present.py). To check the library against a reference
written elsewhere, e.g. with random-init checkpoints of the golden configs (the models then run on the NumPy
backend)::

    /path/to/torch-venv/bin/python -m golden_data.exporter.generation /tmp/gen
    FILLMASK_NP_GOLDEN=/tmp/gen pytest tests/golden/test_generate_golden.py
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.runtime import open_model

from helpers import GOLDEN, load_manifest, load_npz

pytestmark = pytest.mark.golden

SECTION = load_manifest().get("generate", {})  # absent: test_golden_files_present fails
PROB_ATOL = 1e-5
CASES = [(name, i) for name in sorted(SECTION) for i in range(len(SECTION[name]["runs"]))]


@functools.lru_cache(maxsize=None)
def _load(name: str) -> tuple[fm.MaskedLM, fm.Tokenizer, dict[str, np.ndarray]]:
    """(model, tokenizer, npz arrays) of a model of the section; ONNX or a checkpoint, as its folder holds."""
    directory = GOLDEN / load_manifest()["models"][name]["dir"]
    return open_model(directory), fm.Tokenizer.from_dir(directory), load_npz(GOLDEN / SECTION[name]["file"])


def _expected(arrays: dict[str, np.ndarray], run: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(input ids, output ids, per step [n, 3] (position, token, prob) rows) of run ``run``."""
    lo, hi = arrays["run_splits"][run], arrays["run_splits"][run + 1]
    pick = arrays["fill_run"] == run
    steps = arrays["fill_step"][pick]
    rows = np.stack([arrays["fill_position"][pick], arrays["fill_token"][pick], arrays["fill_prob"][pick]], axis=1)
    return arrays["input_ids"][lo:hi], arrays["output_ids"][lo:hi], [rows[steps == t] for t in range(steps.max() + 1)]


def _options(run: dict) -> dict:
    schedule = run["schedule"]
    return {"steps": run["steps"], "schedule": schedule if isinstance(schedule, str) else list(schedule),
            "unmask": run["unmask"]}


def _assert_same(generation: fm.Generation, run: dict, expected: tuple) -> None:
    input_ids, output_ids, steps = expected
    assert generation.input_ids.tolist() == input_ids.tolist()
    assert [len(s.positions) for s in generation.steps] == run["counts"]
    for ours, theirs in zip(generation.steps, steps):
        assert ours.positions.tolist() == theirs[:, 0].astype(np.int64).tolist()
        assert ours.tokens.tolist() == theirs[:, 1].astype(np.int64).tolist()
        np.testing.assert_allclose(ours.probs, theirs[:, 2], rtol=0, atol=PROB_ATOL)
    assert generation.ids.tolist() == output_ids.tolist()
    assert generation.text == run["text"] and len(generation.unfilled) == 0


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_generate_is_the_torch_unmasking_loop(case):
    name, index = case
    model, tok, arrays = _load(name)
    run = SECTION[name]["runs"][index]
    prompt = dict(run["prompt"])
    out = fm.generate(model, tok, prompt.pop("texts", None), **prompt, **_options(run))
    assert out.model_runs == len(run["counts"]) and out.tokens_filled == run["n_masks"]
    _assert_same(out[0], run, _expected(arrays, index))


@pytest.mark.parametrize("name", sorted(SECTION))
def test_a_padded_row_in_a_batch_is_the_torch_run_alone(name):
    model, tok, arrays = _load(name)
    runs = SECTION[name]["runs"]
    longer = next(r["prompt"]["prefix"] for r in runs if "prefix" in r["prompt"])
    generated = [(index, run) for index, run in enumerate(runs) if "length" in run["prompt"]]
    assert generated, f"the generate section has no whole-sequence run of {name}"
    for index, run in generated:
        out = fm.generate(model, tok, ["", longer], new_tokens=run["prompt"]["length"], **_options(run))
        assert len(out[1].ids) > len(out[0].ids)  # the reference row is padded in the batch
        _assert_same(out[0], run, _expected(arrays, index))


def test_the_section_covers_every_schedule_and_steps_one_some_and_all():
    for name in ("bert", "roberta", "esm"):
        runs = SECTION[name]["runs"]
        assert {r["schedule"] if isinstance(r["schedule"], str) else "list" for r in runs} == {"linear", "cosine",
                                                                                                "list"}
        assert {len(r["counts"]) for r in runs} >= {1, 3} and any(len(r["counts"]) == r["n_masks"] for r in runs)
