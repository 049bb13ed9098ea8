"""Shards of real exported models merge bit for bit: ONNX Runtime and the NumPy backend give each sample the
same figures whatever batch it is scored in, so ``fm.merge`` of 3 shards scored at other batch sizes (3, 4 and 5,
one per shard) is the one run over the whole corpus, for evaluate, pseudo_log_likelihood and compare."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN
from helpers.paths import load_manifest
from helpers.protein import PROTEIN_TXT
from helpers.shards import figures, merged_over_shards


@pytest.mark.parametrize("name", ["bert", "roberta", "modernbert"])
def test_evaluation_of_three_shards_merges_to_the_whole_run(name):
    model, tok = fm.OnnxMaskedLM(GOLDEN / "models" / name), fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    whole = fm.evaluate(model, tok, EVAL_TXT, seed=4, batch_size=16, worst=5)
    merged = merged_over_shards(lambda **kw: fm.evaluate(model, tok, EVAL_TXT, seed=4, batch_size=5, worst=5, **kw), 3,
                                suffixes=(".npz", ".json"))
    assert figures(merged, "batch_size") == figures(whole, "batch_size")


FAMILIES = sorted(load_manifest()["models"])


@pytest.mark.parametrize("backend", [fm.OnnxMaskedLM, fm.NumpyMaskedLM])
@pytest.mark.parametrize("name", FAMILIES)
def test_shards_scored_at_batch_sizes_3_4_and_5_merge_to_the_whole_run_bit_for_bit(name, backend):
    """Both backends are batch-invariant (ONNX Runtime on these graphs; the NumPy backend's float32 runs each
    sequence alone at its true length), so the batch size is an execution setting."""
    model, tok = backend(GOLDEN / "models" / name), fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    data = PROTEIN_TXT if name == "esm" else EVAL_TXT
    whole = fm.evaluate(model, tok, data, seed=2, batch_size=16, limit=60, worst=5, return_tokens=True)
    merged = merged_over_shards(lambda shard, **kw: fm.evaluate(model, tok, data, seed=2, batch_size=3 + shard[0],
                                                                limit=60, worst=5, return_tokens=True, shard=shard,
                                                                **kw), 3)
    assert merged.settings["batch_size"] == [3, 4, 5]
    assert figures(merged, "batch_size") == figures(whole, "batch_size")
    for key in whole.tokens:
        assert np.array_equal(merged.tokens[key], whole.tokens[key])


def test_numpy_backend_shards_scored_one_sample_per_batch_merge_to_the_whole_run():
    model, tok = fm.NumpyMaskedLM(GOLDEN / "models" / "bert"), fm.Tokenizer.from_dir(GOLDEN / "models" / "bert")
    whole = fm.evaluate(model, tok, EVAL_TXT, seed=1, batch_size=1)
    merged = merged_over_shards(lambda **kw: fm.evaluate(model, tok, EVAL_TXT, seed=1, batch_size=1, **kw), 3)
    assert merged.to_dict() == whole.to_dict()


def test_pseudo_log_likelihood_of_three_shards_merges_to_the_whole_run():
    model, tok = fm.OnnxMaskedLM(GOLDEN / "models" / "bert"), fm.Tokenizer.from_dir(GOLDEN / "models" / "bert")
    whole = fm.pseudo_log_likelihood(model, tok, EVAL_TXT, limit=30)
    merged = merged_over_shards(lambda **kw: fm.pseudo_log_likelihood(model, tok, EVAL_TXT, limit=30, token_budget=700,
                                                                      **kw), 3)
    assert figures(merged, "token_budget") == figures(whole, "token_budget")


def test_onnx_against_numpy_comparison_of_three_shards_merges_to_the_whole_run():
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / "bert")
    onnx, numpy = fm.OnnxMaskedLM(GOLDEN / "models" / "bert"), fm.NumpyMaskedLM(GOLDEN / "models" / "bert")
    whole = fm.compare(onnx, numpy, tok, EVAL_TXT, seed=2, bootstrap=300, batch_size=1)  # NumPy: see above
    merged = merged_over_shards(lambda **kw: fm.compare(onnx, numpy, tok, EVAL_TXT, seed=2, bootstrap=300, batch_size=1,
                                                        **kw), 3)
    assert merged.to_dict() == whole.to_dict()  # the same batch size: every field, provenance included


ARCHITECTURES = sorted(p.name for p in (GOLDEN / "models").iterdir() if (p / "model.onnx").is_file())


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_onnx_runtime_gives_each_sample_the_same_figures_at_any_batch_size(name):
    """What makes ONNX shards merge bit for bit at any batch size: a sample's logits do not depend on its batch."""
    model, tok = fm.OnnxMaskedLM(GOLDEN / "models" / name), fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    text = GOLDEN / "text" / ("protein_eval.txt" if name == "esm" else "eval.txt")
    first, *others = (fm.evaluate(model, tok, text, seed=0, batch_size=b).per_sample for b in (1, 3, 16))
    for other in others:
        assert other == first
