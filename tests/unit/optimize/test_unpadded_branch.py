"""optimize's unpadded branch (fillmask_np/optimize/unpadded_branch.py): a batch without padding runs the fused
attention without its mask bias, never building it, and every logit stays bit-identical to the original export's,
with and without padding; a bias that is not zero without padding (ModernBERT's sliding window) and int8 models are
left alone."""

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
    return optimize_golden(NAMES + ("modernbert",), tmp_path_factory, "unpadded")


def _ifs(folder) -> dict[str, object]:
    """The written model's If nodes by name."""
    return {n.name: n for n in onnx.load(str(folder / "model.onnx")).graph.node if n.op_type == "If"}


def _branches(node) -> tuple[list, list]:
    """An If node's (then, else) nodes."""
    graphs = {a.name: list(a.g.node) for a in node.attribute}
    return graphs["then_branch"], graphs["else_branch"]


def _batch(vocab: int, lengths: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ids [B, max(lengths)] (pad id 1 after each row's length), their mask, and every real position [M, 2]."""
    mask = (np.arange(max(lengths)) < np.array(lengths)[:, None]).astype(np.int64)  # [B, L]
    ids = np.where(mask == 1, np.random.default_rng(7).integers(4, vocab, size=mask.shape), 1)
    return ids, mask, np.argwhere(mask == 1)


@pytest.mark.parametrize("name", NAMES)
def test_the_report_says_unpadded_batches_skip_the_attention_mask(optimized, name):
    report, _ = optimized[name]
    assert report.unpadded_branch and report.attention_rows
    assert report.fp32_max_abs_diff == 0.0 and report.batch_invariant and report.batch_max_abs_diff == 0.0
    assert any(line.startswith("unpadded ") for line in report.summary())


@pytest.mark.parametrize("name", NAMES)
def test_the_unpadded_branch_builds_no_bias(optimized, name):
    ifs = _ifs(optimized[name][1])
    unpadded, padded = _branches(ifs.pop("unpadded_bias"))
    assert {n.op_type for n in unpadded} == {"Constant"}  # a placeholder only
    assert "Where" in {n.op_type for n in padded}  # the mask logic as exported
    attention = [_branches(n) for n in ifs.values() if _branches(n)[1][0].op_type == "MultiHeadAttention"]
    assert len(attention) == 1  # the first layer's; the last runs on the masked queries only
    (unpadded,), (padded,) = attention[0]
    assert len(unpadded.input) == 3 and len(padded.input) == 6  # query, key, value; + the bias


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lengths", [[19, 19, 19], [19, 7, 2, 1]], ids=["unpadded", "padded"])
def test_every_real_position_keeps_its_logits_bit_for_bit(optimized, name, lengths):
    original = fm.OnnxMaskedLM(GOLDEN / "models" / name)
    ids, mask, positions = _batch(original.vocab_size or 33, lengths)
    expected = original(ids, mask)[positions[:, 0], positions[:, 1]]  # [M, V]
    got = fm.OnnxMaskedLM(optimized[name][1]).masked_logits(ids, mask, np.zeros_like(ids), positions)
    np.testing.assert_array_equal(got, expected)


def test_a_sliding_window_bias_is_left_in_place(optimized):
    report, folder = optimized["modernbert"]  # local attention: a window of 32 keys, nonzero without padding
    assert not report.unpadded_branch and not _ifs(folder)
    assert not any(line.startswith("unpadded ") for line in report.summary())


def test_an_int8_model_is_not_branched(tmp_path):
    report = optimize_model(GOLDEN / "models" / "esm", tmp_path, int8="dynamic")
    assert report.attention_fused and not report.unpadded_branch and not _ifs(tmp_path)


def test_variants_on_the_optimized_esm_score_as_on_the_original(optimized):
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / "esm")
    wild_type = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    mutations = [f"{w}{i + 1}{a}" for i, w in enumerate(wild_type) for a in "ACW" if a != w]
    kwargs = dict(strategy="masked-marginals", token_budget=8 * (len(wild_type) + 2))  # 8 rows per call
    original = fm.score_variants(fm.OnnxMaskedLM(GOLDEN / "models" / "esm"), tok, wild_type, mutations, **kwargs)
    fast = fm.score_variants(fm.OnnxMaskedLM(optimized["esm"][1]), tok, wild_type, mutations, **kwargs)
    assert fast.scores == original.scores
