"""Export variants (int32, fixed shapes, renamed/extra outputs, position_ids, float16, fused): same results."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_case, load_golden, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
VARIANTS = MANIFEST.get("variants", {})
NAMES = sorted(VARIANTS)
EVAL = GOLDEN / "text" / "eval.txt"


@functools.lru_cache(maxsize=None)
def _variant(name: str) -> fm.OnnxMaskedLM:
    return fm.OnnxMaskedLM(GOLDEN / VARIANTS[name]["dir"])


def test_variants_cover_the_common_export_shapes():
    inputs = [{i["name"]: i for i in v["inputs"]} for v in VARIANTS.values()]
    assert any(i["input_ids"]["dtype"] == "int32" for i in inputs)
    assert any("token_type_ids" not in i and v["base_model"] == "bert" for i, v in zip(inputs, VARIANTS.values()))
    assert {tuple(i["input_ids"]["shape"]) for i in inputs} >= {(1, 128), (4, 64)}
    assert any(v["logits_output"] != "logits" and len(v["outputs"]) > 1 for v in VARIANTS.values())
    assert {v["base_model"] for i, v in zip(inputs, VARIANTS.values()) if "position_ids" in i} >= {"bert", "roberta"}
    assert any(v["logits_dtype"] == "float16" for v in VARIANTS.values())
    assert any(v.get("fused_ops", {}).get("Attention", 0) + v.get("fused_ops", {}).get("MultiHeadAttention", 0) > 0
               for v in VARIANTS.values())


@pytest.mark.parametrize("name", NAMES)
def test_the_graph_contract_is_read_without_hints(name):
    spec, model = VARIANTS[name], _variant(name)
    assert model.output_name == spec["logits_output"]
    assert [(n, np.dtype(s.dtype).name) for n, s in model.inputs.items()] == \
        [(i["name"], i["dtype"]) for i in spec["inputs"]]
    shape = tuple(d if isinstance(d, int) else None for d in spec["inputs"][0]["shape"])
    assert (model.fixed_batch, model.fixed_length) == shape


@pytest.mark.parametrize("name", NAMES)
def test_logits_and_loss_on_the_golden_case_match_torch(name):
    spec = VARIANTS[name]
    case = load_case(spec["case"])
    logits = _variant(name)(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"),
                            pad_token_id=MANIFEST["models"][spec["base_model"]]["pad_token_id"])
    assert logits.shape == case["logits"].shape and logits.dtype == np.dtype(spec["logits_dtype"])
    real = case["attention_mask"] == 1
    assert np.abs(logits[real].astype(np.float32) - case["logits"][real]).max() <= spec["tolerances"]["logits_atol"]
    loss = fm.cross_entropy(logits, case["labels"])
    assert loss == pytest.approx(float(case["loss"]), rel=spec["tolerances"]["loss_rtol"])


@pytest.mark.parametrize("name", NAMES)
def test_evaluating_the_corpus_gives_the_base_model_figure(name):
    """Many batch shapes: fixed-shape padding/trimming, int casts and position ids must not change a thing."""
    spec = VARIANTS[name]
    base, tok = load_golden(spec["base_model"])
    variant = _variant(name)
    # a fixed length below the corpus' longest sample truncates: the variant's default max_length (its fixed
    # length) then applies to the base model too
    max_length = min(n for n in (base.max_length, variant.max_length) if n)
    expected = fm.evaluate(base, tok, EVAL, seed=5, batch_size=8, max_length=max_length)
    report = fm.evaluate(variant, tok, EVAL, seed=5, batch_size=8)
    assert report.settings["max_length"] == max_length
    assert report.n_masked == expected.n_masked
    assert report.cross_entropy == pytest.approx(expected.cross_entropy, rel=spec["tolerances"]["loss_rtol"])
