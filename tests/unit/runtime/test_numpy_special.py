"""The NumPy backend's special functions: erf within 2 ulp of math.erf over a wide grid, the float32 exact
GELU, the tanh GELU, and activations refused by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.runtime.numpy_lm import erf
from fillmask_np.runtime.numpy_lm.special import activation, gelu, gelu_tanh


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.finfo(np.float64).tiny))


def test_erf_is_within_two_ulp_of_math_erf_over_a_wide_grid():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-7, 7, 400_001), rng.normal(size=100_000) * 2.5,
                        np.geomspace(1e-300, 10, 20_000), -np.geomspace(1e-300, 10, 20_000), [30.0, -1e300]])
    want = np.array([math.erf(v) for v in x])
    assert _ulps(erf(x), want).max() <= 2.0


def test_erf_keeps_special_values_and_shapes():
    got = erf(np.array([[0.0, -0.0], [np.inf, -np.inf], [np.nan, 5e-324]]))
    assert got.shape == (3, 2) and got[0, 0] == 0.0 and np.signbit(got[0, 1])
    assert got[1].tolist() == [1.0, -1.0] and np.isnan(got[2, 0]) and got[2, 1] == math.erf(5e-324)
    assert erf(0.5) == math.erf(0.5) and erf(np.float32(1.5)).dtype == np.float64


def test_the_float32_gelu_is_the_exact_gelu_within_two_float32_epsilons_times_the_input():
    rng = np.random.default_rng(1)
    x = np.concatenate([np.linspace(-12, 12, 200_002), rng.normal(size=100_000) * 4]).astype(np.float32)
    want = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    got = gelu(x)
    assert got.dtype == np.float32 and gelu(x[:300].reshape(3, 100)).shape == (3, 100)
    bound = 2 * np.finfo(np.float32).eps * np.maximum(1.0, np.abs(x.astype(np.float64)))
    assert (np.abs(got - want) <= bound).all()
    assert (got[x < -6] <= 0).all() and (got[x > 6] == x[x > 6]).all()  # the tails: -0 and x itself


def test_gelu_new_is_the_tanh_approximation():
    x = np.linspace(-6, 6, 1001, dtype=np.float32)
    want = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x.astype(np.float64) ** 3)))
    np.testing.assert_allclose(gelu_tanh(x), want, rtol=2e-6, atol=2e-7)
    assert activation("gelu_new") is gelu_tanh and activation("gelu") is gelu


def test_an_unknown_activation_is_refused_naming_those_implemented():
    with pytest.raises(fm.ModelError, match=r"hidden_act='mish' is not an activation .* \['gelu', 'gelu_fast'"):
        activation("mish")
