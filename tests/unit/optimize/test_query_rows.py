"""optimize's query rows (fillmask_np/optimize/query_rows.py): the last attention's query projection (and ESM-2's
rotary rotation of it) runs on the masked rows only, fed by the normed states gathered there and the rotary tables
taken at the masked positions; every logit stays bit-identical to the original export's, padded or not; a chain
holding an op not known to be row-wise is left as it was."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.optimize import optimize_model

from helpers import GOLDEN
from helpers.golden_models import optimize_golden
from helpers.onnx_graphs import onnx

NAMES = ("bert", "esm")


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    """name -> (report, optimized folder) for the golden exports."""
    return optimize_golden(NAMES, tmp_path_factory, "queries")


def _row_ops(folder) -> list[str]:
    """The op types of the written model's nodes cloned onto the masked rows' queries."""
    return [n.op_type for n in onnx.load(str(folder / "model.onnx")).graph.node if n.name.endswith("_query_rows")]


@pytest.mark.parametrize("name, rotary", [("bert", False), ("esm", True)])
def test_the_query_projection_runs_on_the_masked_rows(optimized, name, rotary):
    report, folder = optimized[name]
    ops = _row_ops(folder)
    assert "MatMul" in ops and "Add" in ops  # the projection and its bias
    assert ops.count("MatMul") == (2 if rotary else 1)  # and ESM-2's rotate_half, on the rows at their positions
    assert report.fp32_max_abs_diff == 0.0 and report.batch_max_abs_diff == 0.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lengths", [[21, 21], [21, 9, 3, 1]], ids=["unpadded", "padded"])
def test_every_real_position_keeps_its_logits_bit_for_bit(optimized, name, lengths):
    original = fm.OnnxMaskedLM(GOLDEN / "models" / name)
    mask = (np.arange(max(lengths)) < np.array(lengths)[:, None]).astype(np.int64)  # [B, L]
    ids = np.where(mask == 1, np.random.default_rng(3).integers(4, original.vocab_size or 33, size=mask.shape), 1)
    positions = np.argwhere(mask == 1)
    expected = original(ids, mask)[positions[:, 0], positions[:, 1]]  # [M, V]
    got = fm.OnnxMaskedLM(optimized[name][1]).masked_logits(ids, mask, np.zeros_like(ids), positions)
    np.testing.assert_array_equal(got, expected)


def test_a_chain_with_an_op_not_known_row_wise_is_left_alone(tmp_path, monkeypatch):
    from fillmask_np.optimize import query_rows

    monkeypatch.setattr(query_rows, "_ROWWISE", set())  # Add and Mul no longer known to act row by row
    report = optimize_model(GOLDEN / "models" / "esm", tmp_path)
    assert _row_ops(tmp_path) == [] and report.attention_rows and report.fp32_max_abs_diff == 0.0


def test_an_int8_model_keeps_its_queries_where_calibration_saw_them(tmp_path):
    optimize_model(GOLDEN / "models" / "esm", tmp_path, int8="dynamic")
    assert _row_ops(tmp_path) == []
