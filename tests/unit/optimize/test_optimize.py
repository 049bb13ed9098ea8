"""optimize_model(): the masked-rows rewrite evaluates exactly like the original, int8 stays close, the LM head
is found in hand-built graphs, and what it refuses (`fillmask-np optimize`: tests/cli/test_cli_optimize.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.metrics import EVAL_REPORT_COUNTS
from fillmask_np.optimize import optimize_model

from helpers import EVAL_TXT, GOLDEN, require_shared, wikitext_lines
from helpers.golden_models import optimize_golden
from helpers.onnx_graphs import TensorProto, helper, lookup_model, numpy_helper, onnx, sequence_softmax_model

NAMES = ("bert", "roberta", "distilbert")


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    """Each golden model optimized (float32) into a temporary export directory: name -> (report, directory)."""
    return optimize_golden(NAMES, tmp_path_factory, "fast")


@pytest.mark.parametrize("name", NAMES)
def test_the_head_is_gathered_and_checked(optimized, name):
    report, directory = optimized[name]
    assert report.gather_point and report.head_ops["MatMul"] >= 2 and not report.int8
    assert report.fp32_max_abs_diff == 0.0  # the docs' claim (verbs/optimize.md): the gathered rows are bit-identical
    model = fm.OnnxMaskedLM(directory)
    assert model.gathers_positions and model.vocab_size == 1000
    assert {"config.json", "tokenizer.json"} <= set(report.copied)


@pytest.mark.parametrize("name, masking", [(n, "per_sample") for n in NAMES] + [("bert", "hf")])
def test_optimized_models_evaluate_like_the_originals(optimized, name, masking):
    directory = optimized[name][1]
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    full = fm.evaluate(fm.OnnxMaskedLM(GOLDEN / "models" / name), tok, EVAL_TXT, seed=0, masking=masking)
    fast = fm.evaluate(fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory), EVAL_TXT, seed=0,
                       masking=masking)
    assert fast.cross_entropy == full.cross_entropy  # bit-identical rows: the same figures, bit for bit
    assert (fast.top1_accuracy, fast.top5_accuracy) == (full.top1_accuracy, full.top5_accuracy)
    for key in EVAL_REPORT_COUNTS:
        assert getattr(fast, key) == getattr(full, key), key
    assert fast.per_sample == full.per_sample


@pytest.mark.parametrize("name", NAMES)
def test_fill_mask_scores_are_equal(optimized, name):
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    text = f"the cat {tok.mask_token} on the mat. the {tok.mask_token} is big."
    full = fm.fill_mask(fm.OnnxMaskedLM(GOLDEN / "models" / name), tok, text, top_k=5)
    fast = fm.fill_mask(fm.OnnxMaskedLM(optimized[name][1]), tok, text, top_k=5)
    for full_mask, fast_mask in zip(full, fast):
        assert fast_mask == full_mask  # tokens and scores, bit for bit


def _two_rows(bert_tok):
    """The (input_ids, attention_mask, token_type_ids) of a two-row batch."""
    enc = bert_tok.encode_batch(["the cat sat on the mat.", "a dog."])
    return enc.input_ids, enc.attention_mask, enc.token_type_ids


def test_masked_logits_and_full_logits_agree_for_both_kinds_of_model(optimized, bert_model, bert_tok):
    fast = fm.OnnxMaskedLM(optimized["bert"][1])
    positions = np.array([[0, 3], [1, 1], [0, 0], [1, 3]])
    args = _two_rows(bert_tok)
    want = bert_model(*args)  # [B, L, V]
    np.testing.assert_array_equal(bert_model.masked_logits(*args, positions), want[positions[:, 0], positions[:, 1]])
    np.testing.assert_array_equal(fast.masked_logits(*args, positions), want[positions[:, 0], positions[:, 1]])
    np.testing.assert_array_equal(fast(*args), want)  # __call__ still gives [B, L, V]


def test_an_optimized_model_gives_no_rows_for_no_positions(optimized, bert_tok):
    fast = fm.OnnxMaskedLM(optimized["bert"][1])
    assert fast.masked_logits(*_two_rows(bert_tok), np.zeros((0, 2), dtype=np.int64)).shape == (0, 1000)


def test_an_optimized_model_refuses_a_position_outside_the_batch(optimized, bert_tok):
    fast = fm.OnnxMaskedLM(optimized["bert"][1])
    with pytest.raises(fm.FillMaskError, match="outside the"):
        fast.masked_logits(*_two_rows(bert_tok), np.array([[2, 0]]))


def test_the_logits_budget_splits_passes_by_masked_rows_without_changing_results(optimized):
    directory = optimized["bert"][1]
    model, tok = fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory)
    whole = fm.evaluate(model, tok, EVAL_TXT, seed=3)
    split = fm.evaluate(model, tok, EVAL_TXT, seed=3, logits_budget=3000)  # about 3 masked rows per pass
    assert split.cross_entropy == whole.cross_entropy  # correctly rounded sums: the order of the rows is moot
    assert split.per_sample == whole.per_sample and split.n_masked == whole.n_masked


def test_int8_stays_close_to_float32_on_eval_txt(tmp_path, bert_model, bert_tok):
    report = optimize_model(GOLDEN / "models" / "bert", tmp_path, int8=True)
    assert report.int8 and report.untied  # the tied decoder got its own weight to quantize
    assert report.top1_agreement > 0.9 and abs(report.ce_rel_change) < 0.02
    full = fm.evaluate(bert_model, bert_tok, EVAL_TXT, seed=0)
    int8 = fm.evaluate(fm.OnnxMaskedLM(tmp_path), bert_tok, EVAL_TXT, seed=0)
    assert int8.n_masked == full.n_masked
    assert int8.cross_entropy == pytest.approx(full.cross_entropy, rel=0.01)  # measured +0.01 %


@pytest.mark.shared
@pytest.mark.slow
def test_splade_tiny_optimized_on_wikitext(tmp_path):
    directory = require_shared("real", "splade-tiny")
    texts = wikitext_lines(30)
    tok = fm.Tokenizer.from_dir(directory)
    fp32 = optimize_model(directory, tmp_path / "fp32")
    int8 = optimize_model(directory, tmp_path / "int8", int8=True, check=False)  # evaluated below instead
    assert fp32.fp32_max_abs_diff == 0.0 and int8.untied == ["m.cls.predictions.decoder.weight"]
    full = fm.evaluate(fm.OnnxMaskedLM(directory), tok, texts, seed=0, max_length=512)
    fast = fm.evaluate(fm.OnnxMaskedLM(tmp_path / "fp32"), tok, texts, seed=0, max_length=512)
    quant = fm.evaluate(fm.OnnxMaskedLM(tmp_path / "int8"), tok, texts, seed=0, max_length=512)
    assert fast.cross_entropy == full.cross_entropy and fast.n_masked == full.n_masked
    assert quant.cross_entropy == pytest.approx(full.cross_entropy, rel=0.01)  # measured +0.07 % on 200 lines


def _head_graph(path, *, hidden_output: bool = False):
    """ids -> embedding -> CumSum over the sequence (mixes positions) -> a legacy-style head: MatMul, Add,
    erf GELU, decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div), decoder MatMul + bias -> logits."""
    rng = np.random.default_rng(0)
    vocab, hidden = 11, 4
    weights = {"emb": rng.normal(size=(vocab, hidden)), "w1": rng.normal(size=(hidden, hidden)),
               "b1": rng.normal(size=hidden), "dec": rng.normal(size=(hidden, vocab)), "bias": rng.normal(size=vocab)}
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    inits += [numpy_helper.from_array(np.array(v, dtype=np.float32), k)
              for k, v in (("half", 0.5), ("one", 1.0), ("sqrt2", 2 ** 0.5), ("two", 2.0), ("eps", 1e-5))]
    inits.append(numpy_helper.from_array(np.array(1, dtype=np.int64), "seq_axis"))
    n = helper.make_node
    nodes = [n("Gather", ["emb", "input_ids"], ["x"]),
             n("CumSum", ["x", "seq_axis"], ["mixed"]),
             n("MatMul", ["mixed", "w1"], ["h1"]), n("Add", ["h1", "b1"], ["h2"]),
             n("Div", ["h2", "sqrt2"], ["g1"]), n("Erf", ["g1"], ["g2"]), n("Add", ["g2", "one"], ["g3"]),
             n("Mul", ["h2", "g3"], ["g4"]), n("Mul", ["g4", "half"], ["act"]),
             n("ReduceMean", ["act"], ["mean"], axes=[-1]), n("Sub", ["act", "mean"], ["centered"]),
             n("Pow", ["centered", "two"], ["sq"]), n("ReduceMean", ["sq"], ["var"], axes=[-1]),
             n("Add", ["var", "eps"], ["var_eps"]), n("Sqrt", ["var_eps"], ["std"]),
             n("Div", ["centered", "std"], ["normed"]),
             n("MatMul", ["normed", "dec"], ["scores"]), n("Add", ["scores", "bias"], ["logits"])]
    ids = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
           for name in ("input_ids", "attention_mask")]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", vocab])]
    if hidden_output:
        outputs.append(helper.make_tensor_value_info("act", TensorProto.FLOAT, ["batch", "sequence", hidden]))
    graph = helper.make_graph(nodes, "head", ids, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


IDS = np.array([[1, 5, 7, 2, 0], [1, 9, 2, 0, 0]])
POSITIONS = np.array([[0, 1], [1, 2], [0, 4]])


def test_a_legacy_style_head_is_found_after_the_op_that_mixes_positions(tmp_path):
    src = _head_graph(tmp_path / "m.onnx")
    report = optimize_model(src, tmp_path / "out.onnx")
    assert report.gather_point == "mixed"
    assert report.head_ops["ReduceMean"] == 2 and report.head_ops["Erf"] == 1 and report.head_ops["MatMul"] == 2
    full, fast = fm.OnnxMaskedLM(src), fm.OnnxMaskedLM(tmp_path / "out.onnx")
    mask = (IDS != 0).astype(np.int64)
    np.testing.assert_allclose(fast.masked_logits(IDS, mask, None, POSITIONS),
                               full(IDS, mask)[POSITIONS[:, 0], POSITIONS[:, 1]], atol=1e-5)


def test_a_head_tensor_that_is_also_an_output_stops_the_gather_after_it(tmp_path):
    report = optimize_model(_head_graph(tmp_path / "m.onnx", hidden_output=True), tmp_path / "out.onnx",
                            logits_output="logits")
    assert report.gather_point == "act"  # the hidden-state output keeps its [B, L, H] shape


def test_a_graph_without_a_position_wise_head_is_refused_naming_the_op(tmp_path):
    table = np.random.default_rng(0).normal(size=(12, 12)).astype(np.float32)
    src = sequence_softmax_model(tmp_path / "m.onnx", table)  # logits = Softmax over the sequence axis
    with pytest.raises(fm.ModelError, match="Softmax node 'seq_softmax' is not over the last axis"):
        optimize_model(src, tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()


@pytest.mark.parametrize("batch, length", [("batch", "sequence"), (2, 8)])
def test_a_lookup_graph_gathers_the_ids_themselves(tmp_path, batch, length):
    """Decision: a constant-table Gather is position-wise, so a pure lookup graph gathers its input_ids."""
    table = np.random.default_rng(0).normal(size=(12, 12)).astype(np.float32)
    src = lookup_model(tmp_path / "m.onnx", table, batch=batch, length=length)
    report = optimize_model(src, tmp_path / "out.onnx")
    assert report.gather_point == "input_ids" and report.head_ops == {"Gather": 1}
    assert report.fp32_max_abs_diff == 0.0
    fast = fm.OnnxMaskedLM(tmp_path / "out.onnx")
    ids = np.array([[1, 5, 7, 2, 0], [1, 9, 2, 0, 0], [1, 3, 4, 6, 2]])
    positions = np.array([[2, 4], [0, 1], [1, 2], [2, 0]])
    np.testing.assert_array_equal(fast.masked_logits(ids, ids != 0, None, positions),
                                  table[ids[positions[:, 0], positions[:, 1]]])


def test_an_already_optimized_model_is_refused(tmp_path, optimized):
    with pytest.raises(fm.ModelError, match="optimized already"):
        optimize_model(optimized["bert"][1], tmp_path / "again")


def test_writing_over_the_input_model_is_refused():
    with pytest.raises(fm.InputFileError, match="is the input model"):
        optimize_model(GOLDEN / "models" / "bert", GOLDEN / "models" / "bert" / "model.onnx")


def test_a_missing_input_model_is_refused(tmp_path):
    with pytest.raises(fm.InputFileError, match="does not exist"):
        optimize_model(tmp_path / "missing.onnx", tmp_path / "out.onnx")


def test_a_fuse_option_other_than_true_false_or_auto_is_refused(tmp_path):
    with pytest.raises(fm.FillMaskError, match="fuse='yes'"):
        optimize_model(GOLDEN / "models" / "bert", tmp_path / "out.onnx", fuse="yes")


def test_a_float32_mismatch_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr("fillmask_np.optimize.rewrite.FP32_TOLERANCE", -1.0)  # even a difference of 0.0 is too large
    with pytest.raises(fm.ModelError, match="nothing was written"):
        optimize_model(GOLDEN / "models" / "bert", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_fusions_can_be_asked_for_and_stay_exact(tmp_path):
    pytest.importorskip("sympy", reason="onnxruntime.transformers' fusions need sympy (the optimize extra)")
    report = optimize_model(GOLDEN / "models" / "bert", tmp_path, fuse=True)
    assert report.fused and report.fusions.get("SkipLayerNormalization", 0) > 0
    assert report.fp32_max_abs_diff == 0.0  # the graph ONNX Runtime's own optimizer builds at load time


def test_missing_onnx_names_the_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(fm.FillMaskError, match=r"pip install 'fillmask_np\[optimize\]'"):
        optimize_model(GOLDEN / "models" / "bert", tmp_path / "out.onnx")


def test_neither_import_nor_running_an_optimized_model_loads_onnx(optimized):
    code = ("import sys, fillmask_np as fm, fillmask_np.optimize; import numpy as np; "
            f"m = fm.OnnxMaskedLM({str(optimized['bert'][1])!r}, allow_spinning=False); "
            "m.masked_logits(np.ones((1, 4), dtype=np.int64), np.ones((1, 4), dtype=np.int64), None, [[0, 1]]); "
            "print(sorted(k for k in ('onnx', 'torch', 'transformers') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
