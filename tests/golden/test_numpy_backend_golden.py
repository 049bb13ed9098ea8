"""The NumPy backend against torch on the golden data: every family's logits on every golden case, the masked
cross-entropy, and HF's fill-mask pipeline, from each golden model's model.safetensors (written by the exporter)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_case, load_golden, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
CASES = sorted(MANIFEST["cases"])
LOGITS_ATOL = 1e-4  # the bound: NumPy logits vs torch's
CE_RTOL = 1e-6  # masked cross-entropy vs torch's loss
SCORE_ATOL = 1e-5  # fill-mask scores, as OnnxMaskedLM's


@functools.lru_cache(maxsize=None)
def _numpy_model(name: str) -> fm.NumpyMaskedLM:
    directory = GOLDEN / MANIFEST["models"][name]["dir"]  # no model.safetensors: fails (test_golden_files_present)
    return fm.NumpyMaskedLM(directory)


def _case_logits(name: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """(case arrays, NumPy logits [N, V], torch logits [N, V]) at the case's non-padding positions."""
    case = load_case(name)
    model = _numpy_model(MANIFEST["cases"][name]["model"])
    ids, mask = case["masked_input_ids"], case["attention_mask"]
    positions = np.argwhere(mask == 1)  # [N, 2]
    ours = model.masked_logits(ids, mask, case.get("token_type_ids"), positions)  # [N, V]
    theirs = case["logits"][positions[:, 0], positions[:, 1]]  # [B, L, V] -> [N, V]
    return case, ours, theirs


@pytest.mark.parametrize("name", CASES)
def test_numpy_logits_are_within_1e_4_of_torch_on_every_golden_case(name):
    _, ours, theirs = _case_logits(name)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.max(np.abs(ours.astype(np.float64) - theirs)) <= LOGITS_ATOL


@pytest.mark.parametrize("name", CASES)
def test_numpy_masked_cross_entropy_is_torch_loss_within_1e_6(name):
    case = load_case(name)
    model = _numpy_model(MANIFEST["cases"][name]["model"])
    labels = case["labels"]
    positions = np.argwhere(labels != -100)  # [M, 2]
    rows = model.masked_logits(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"),
                               positions)  # [M, V]
    ce = fm.cross_entropy(rows, labels[positions[:, 0], positions[:, 1]])
    assert ce == pytest.approx(float(case["loss"]), rel=CE_RTOL)


@pytest.mark.parametrize("name", sorted(MANIFEST.get("fill_mask", {})))
def test_numpy_fill_mask_gives_the_pipeline_tokens(name):
    model = _numpy_model(name)
    _, tok = load_golden(name)
    for run in MANIFEST["fill_mask"][name]["pipeline"]:
        ours = fm.fill_mask(model, tok, run["text"], top_k=run["top_k"], targets=run["targets"])
        expected = run["result"]
        per_mask = (lambda r: r if r and isinstance(r[0], list) else [r])
        for mine, theirs in zip(per_mask(ours), per_mask(expected), strict=True):
            assert [c["token"] for c in mine] == [c["token"] for c in theirs]
            assert [c["score"] for c in mine] == pytest.approx([c["score"] for c in theirs], abs=SCORE_ATOL)
