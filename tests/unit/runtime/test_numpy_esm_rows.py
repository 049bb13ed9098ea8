"""NumPy ESM-2 (fillmask_np/runtime/numpy_lm/esm.py) runs its last layer on the scored rows only: keys and values
at every position, the queries (rotated at their own positions), output projection and feed-forward block on the
scored rows; their logits are the full forward's at those rows up to float rounding, padding and a masked token
included, in both precisions (no torch numbers are read: no golden marker)."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN

ESM = GOLDEN / "models" / "esm"
AT = np.array([[0, 5], [0, 7], [1, 0], [1, 29], [2, 39], [2, 12]])  # a masked token, the specials, padding ahead


def _batch() -> tuple[np.ndarray, np.ndarray]:
    """[3, 40] residue ids (row 1 padded after 30 tokens, a mask token at row 0 position 5) and their mask."""
    ids = np.random.default_rng(0).integers(4, 24, size=(3, 40))
    ids[:, 0], ids[:, -1], ids[0, 5], ids[1, 29], ids[1, 30:] = 0, 2, 32, 2, 1
    return ids, (np.arange(40) < np.array([40, 30, 40])[:, None]).astype(np.int64)


@pytest.mark.parametrize("precision, tolerance", [("float32", 2e-6), ("float64", 1e-12)])
def test_the_scored_rows_are_the_full_forward_at_those_rows(precision, tolerance):
    model = fm.NumpyMaskedLM(ESM, precision=precision)
    ids, mask = _batch()
    full = model(ids, mask)[AT[:, 0], AT[:, 1]]  # [M, V], every layer at every position
    rows = model.masked_logits(ids, mask, None, AT)
    np.testing.assert_allclose(rows, full, rtol=0, atol=tolerance)


def test_the_last_layer_never_runs_its_feed_forward_block_off_the_scored_rows(monkeypatch):
    model = fm.NumpyMaskedLM(ESM)
    last = model.network.layers[-1]
    widths = []
    real = type(last.ffn_in).__call__

    def spy(self, x):
        if self is last.ffn_in:
            widths.append(x.shape[0])
        return real(self, x)

    monkeypatch.setattr(type(last.ffn_in), "__call__", spy)
    ids, mask = _batch()
    model.masked_logits(ids, mask, None, AT)
    assert sorted(widths) == [2, 2, 2]  # one call per sequence, on its two scored rows
