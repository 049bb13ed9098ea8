"""``NumpyMaskedLM(path, precision="float64")``: every operation in float64 from the stored weights (the exact
reference); float32 stays the default. The agreement with torch's ``model.double()`` is the golden float64 test's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.runtime.numpy_lm.special import gelu, gelu_tanh

from helpers import GOLDEN, load_npz

BERT = GOLDEN / "models" / "bert"


@pytest.fixture(scope="module")
def case() -> dict[str, np.ndarray]:
    return load_npz(GOLDEN / "cases" / "bert_p15.npz")


def test_float64_logits_are_float64_and_float32_is_within_float32_rounding_of_them(case):
    exact, fast = fm.NumpyMaskedLM(BERT, precision="float64"), fm.NumpyMaskedLM(BERT)
    ids, mask = case["masked_input_ids"], case["attention_mask"]
    positions = np.argwhere(mask == 1)
    reference = exact.masked_logits(ids, mask, None, positions)
    rounded = fast.masked_logits(ids, mask, None, positions)
    assert reference.dtype == np.float64 and rounded.dtype == np.float32
    error = np.abs(rounded - reference).max() / np.abs(reference).max()
    assert 0 < error < 1e-5  # float32 differs from the reference, by float32 rounding only


def test_float64_is_recorded_in_describe_with_the_widened_weights():
    info = fm.NumpyMaskedLM(BERT, precision="float64").describe()
    assert info["precision"] == "float64" and info["dtype"] == "float32 (widened to float64)"
    assert fm.NumpyMaskedLM(BERT).describe()["precision"] == "float32"


@pytest.mark.parametrize("precision", ["float16", "double", 64, None])
def test_another_precision_is_a_model_error_naming_it(precision):
    with pytest.raises(fm.ModelError, match=rf"precision={precision!r} is not one of \['float32', 'float64'\]"):
        fm.NumpyMaskedLM(BERT, precision=precision)


def test_the_float64_exact_gelu_is_torchs_formula_on_math_erf():
    x = np.random.default_rng(3).normal(size=2000) * 4  # float64
    want = np.array([v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    got = gelu(x)
    assert got.dtype == np.float64
    calm = x > -1  # below, 1 + erf cancels: any two erfs differ there in relative terms (not in absolute)
    np.testing.assert_allclose(got[calm], want[calm], rtol=4e-15, atol=0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_the_tanh_gelu_keeps_the_inputs_precision():
    x = np.linspace(-5, 5, 101)
    want = 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    assert gelu_tanh(x).dtype == np.float64 and gelu_tanh(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(gelu_tanh(x), want, rtol=1e-15, atol=1e-300)
