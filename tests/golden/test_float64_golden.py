"""The NumPy backend in float64 is the exact reference: on every golden family, its logits on the family's golden
case are torch float64's (``model.double()``, rotary embeddings included) within the manifest's relative tolerance;
in float32 it is as far from them as float32 is (torch's and ONNX Runtime's errors, which the manifest records)."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from helpers import GOLDEN, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
FAMILIES = sorted(MANIFEST["float64"]["families"])


def _logits(name: str, precision: str) -> tuple[np.ndarray, np.ndarray]:
    """(NumPy logits [N, V] at the float64 file's positions in ``precision``, torch float64 logits [N, V])."""
    entry = MANIFEST["float64"]["families"][name]
    with np.load(GOLDEN / MANIFEST["cases"][entry["case"]]["file"], allow_pickle=False) as npz:
        case = {key: npz[key] for key in npz.files}
    with np.load(GOLDEN / entry["file"], allow_pickle=False) as npz:
        positions, reference = npz["positions"], npz["logits"]  # [N, 2], [N, V]
    model = fm.NumpyMaskedLM(GOLDEN / MANIFEST["models"][name]["dir"], precision=precision)
    rows = model.masked_logits(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"),
                               positions)  # [N, V]
    return rows, reference


@pytest.mark.parametrize("name", FAMILIES)
def test_float64_logits_are_torch_float64s_within_the_manifests_relative_tolerance(name):
    rows, reference = _logits(name, "float64")
    assert rows.dtype == np.float64 and reference.dtype == np.float64
    relative = float(np.max(np.abs(rows - reference)) / np.max(np.abs(reference)))
    assert relative <= MANIFEST["float64"]["tolerance_rel"] == MANIFEST["tolerances"]["float64_logits_rtol"] == 1e-9


@pytest.mark.parametrize("name", FAMILIES)
def test_float32_is_as_far_from_float64_as_torch_and_onnx_runtime_float32_are(name):
    """Within twice the larger of torch float32's and ONNX Runtime's errors (all ~1e-6: float32 rounding); the
    support table reports the three side by side."""
    rows, reference = _logits(name, "float32")
    entry = MANIFEST["float64"]["families"][name]
    assert rows.dtype == np.float32
    error = float(np.max(np.abs(rows.astype(np.float64) - reference)))
    assert 0 < error <= 2 * max(entry["torch_float32"]["max_abs"], entry["onnxruntime_float32"]["max_abs"])


def test_the_float32_errors_recorded_are_float32_rounding_not_zero():
    for name in FAMILIES:
        entry = MANIFEST["float64"]["families"][name]
        for side in ("torch_float32", "onnxruntime_float32"):
            assert 1e-8 < entry[side]["max_rel"] < 1e-5, (name, side)
