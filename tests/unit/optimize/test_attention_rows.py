"""optimize's attention passes (fillmask_np/optimize/attention_fusion.py, attention_rows.py): each attention core
becomes one MultiHeadAttention node and the last layer runs for the masked queries only, with every logit of
the golden exports bit-identical to the original's, padding and empty position lists included, each row's
logits independent of its batch; a fused graph the check refuses is written unfused instead."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.optimize import optimize_model

from helpers import GOLDEN, require_shared
from helpers.golden_models import optimize_golden
from helpers.onnx_graphs import onnx

NAMES = ("bert", "distilbert", "esm")


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    """name -> (report, optimized model) for the golden exports."""
    return {name: (report, fm.OnnxMaskedLM(directory))
            for name, (report, directory) in optimize_golden(NAMES, tmp_path_factory, "attention").items()}


def _pad_heavy(vocab: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ids [4, 19] of 19, 7, 2 and 1 real tokens, their mask, and every real position [M, 2]."""
    lengths = np.array([19, 7, 2, 1])
    mask = (np.arange(19) < lengths[:, None]).astype(np.int64)  # [4, 19]
    ids = np.where(mask == 1, np.random.default_rng(0).integers(4, vocab, size=mask.shape), 1)
    return ids, mask, np.argwhere(mask == 1)


@pytest.mark.parametrize("name", NAMES)
def test_both_layers_are_fused_and_the_last_runs_on_masked_rows(optimized, name):
    report, model = optimized[name]
    assert report.attention_fused == 2 and report.attention_rows and report.attention_note is None
    assert report.head_ops["MultiHeadAttention"] == 1  # the last layer's, now on the masked rows
    assert report.fp32_max_abs_diff == 0.0 and report.batch_invariant and report.batch_max_abs_diff == 0.0
    assert any("MultiHeadAttention; the last layer on the masked queries only" in line for line in report.summary())


@pytest.mark.parametrize("name", NAMES)
def test_every_real_position_of_a_pad_heavy_batch_keeps_its_logits_bit_for_bit(optimized, name):
    original = fm.OnnxMaskedLM(GOLDEN / "models" / name)
    ids, mask, positions = _pad_heavy(original.vocab_size or 33)
    expected = original(ids, mask)[positions[:, 0], positions[:, 1]]  # [M, V]
    got = optimized[name][1].masked_logits(ids, mask, np.zeros_like(ids), positions)
    np.testing.assert_array_equal(got, expected)


def test_no_positions_give_no_rows(optimized):
    ids, mask, _ = _pad_heavy(33)
    assert optimized["esm"][1].masked_logits(ids, mask, None, np.zeros((0, 2), dtype=np.int64)).shape == (0, 33)


def test_variants_on_the_optimized_esm_score_as_on_the_original(optimized):
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / "esm")
    wild_type = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    mutations = [f"{w}{i + 1}A" for i, w in enumerate(wild_type) if w != "A"]
    original = fm.score_variants(fm.OnnxMaskedLM(GOLDEN / "models" / "esm"), tok, wild_type, mutations,
                                 strategy="masked-marginals")
    fast = fm.score_variants(optimized["esm"][1], tok, wild_type, mutations, strategy="masked-marginals")
    assert fast.scores == original.scores


@pytest.mark.parametrize("attribute, value, why", [("scale", 0.5, "differed by"), ("num_heads", 3, "did not run")])
def test_a_fused_graph_the_check_refuses_is_written_unfused(tmp_path, monkeypatch, attribute, value, why):
    from fillmask_np.optimize import attention_fusion

    real = attention_fusion.fuse_attention

    def broken(model, num_heads):
        model, count = real(model, num_heads)
        for node in model.graph.node:
            if node.op_type == "MultiHeadAttention":  # a wrong scale, or heads that do not divide the width
                field = next(a for a in node.attribute if a.name == attribute)
                setattr(field, "f" if isinstance(value, float) else "i", value)
        return model, count

    monkeypatch.setattr(attention_fusion, "fuse_attention", broken)
    report = optimize_model(GOLDEN / "models" / "bert", tmp_path)
    assert report.attention_fused == 0 and not report.attention_rows
    assert report.attention_note.startswith(f"fused attention {why}") and report.attention_note.endswith("left unfused")
    assert report.fp32_max_abs_diff == 0.0
    written = onnx.load(str(tmp_path / "model.onnx"))
    assert not any(node.op_type == "MultiHeadAttention" for node in written.graph.node)
    assert "MultiHeadAttention" not in report.head_ops and "queries" not in report.gather_point


@pytest.mark.shared
def test_eager_attention_with_its_scale_after_the_product_is_fused_exactly(tmp_path):
    """splade-tiny's export: scores = MatMul(Q, K^T) * 0.125 + mask, K^T transposed from [B, L, heads, d]."""
    source = require_shared("real", "splade-tiny")
    report = optimize_model(source, tmp_path)
    assert report.attention_fused == 2 and report.attention_rows and report.nan_guards_dropped == 0
    assert report.fp32_max_abs_diff == 0.0 and report.batch_max_abs_diff == 0.0
