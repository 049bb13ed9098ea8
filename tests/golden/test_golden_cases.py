"""Golden data exported from PyTorch: tokenizers give Hugging Face's ids, masks are bit-identical to HF's collator,
logits and losses within tolerance."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, load_case, load_golden, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
CASES = sorted(MANIFEST["cases"])
TOL = MANIFEST["tolerances"]


def _spec(name: str) -> dict:
    return MANIFEST["cases"][name]


def _ort_logits(name: str, case: dict) -> np.ndarray:
    model, _ = load_golden(_spec(name)["model"])
    return model(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"))


def test_cases_cover_the_required_masking_settings():
    settings = {(c["mlm_probability"], c["mask_replace_prob"], c["random_replace_prob"])
                for c in MANIFEST["cases"].values()}
    assert {p for p, _, _ in settings} >= {0.15, 0.5}
    assert any((m, r) != (0.8, 0.1) for _, m, r in settings)
    assert {c["model"] for c in MANIFEST["cases"].values()} >= {"bert", "roberta", "distilbert"}


def test_cases_cover_whole_words_both_special_token_policies_and_the_replacement_edges():
    cases = MANIFEST["cases"].values()
    assert {c["model"] for c in cases if c["whole_word"]} >= {"bert", "roberta"}  # WordPiece and byte-level offsets
    assert {c["special_tokens"] for c in cases} == {"template", "all_special_ids"}
    assert all(c["n_in_text_special_tokens"] > 0 for c in cases if c["special_tokens"] == "all_special_ids")
    assert any(c.get("n_in_text_special_selected", 0) > 0 for c in cases if c["special_tokens"] == "template")
    assert any(c["mask_replace_prob"] == 1.0 and not c["whole_word"] for c in cases)
    assert any(c["random_replace_prob"] == 0.0 and c["mask_replace_prob"] < 1.0 and c["n_kept"] > 0 for c in cases)


@pytest.mark.parametrize("name", CASES)
def test_case_arrays_have_the_documented_keys_shapes_and_dtypes(name):
    case = load_case(name)
    expected = {"input_ids", "attention_mask", "special_tokens_mask", "masked_input_ids", "labels", "logits",
                "loss", "per_token_loss"}
    spec = _spec(name)
    expected |= {"offset_mapping"} if spec["whole_word"] else set()
    expected |= {"all_special_ids_mask"} if spec["special_tokens"] == "all_special_ids" else set()
    assert expected <= set(case) <= expected | {"token_type_ids"}
    batch, length = case["input_ids"].shape
    for key in ("attention_mask", "special_tokens_mask", "masked_input_ids", "labels"):
        assert case[key].shape == (batch, length) and case[key].dtype == np.int64, key
    assert case["logits"].shape[:2] == (batch, length) and case["logits"].dtype == np.float32
    assert case["loss"].shape == () and case["per_token_loss"].shape == (batch * length,)
    for key, shape in (("offset_mapping", (batch, length, 2)), ("all_special_ids_mask", (batch, length))):
        if key in case:
            assert case[key].shape == shape and case[key].dtype == np.int64, key
    assert (case["attention_mask"] == 0).any(), "the batch must contain padding"
    assert (case["special_tokens_mask"].astype(bool) | (case["attention_mask"] == 0)).all(axis=1).any(), \
        "the batch must contain a sample with nothing maskable"


@pytest.mark.parametrize("name", CASES)
def test_tokenizer_reproduces_the_golden_batch(name):
    spec = _spec(name)
    tok = fm.Tokenizer.from_dir(GOLDEN / MANIFEST["models"][spec["model"]]["dir"])
    case = load_case(name)
    enc = tok.encode_batch(spec["texts"])
    np.testing.assert_array_equal(enc.input_ids, case["input_ids"])
    np.testing.assert_array_equal(enc.attention_mask, case["attention_mask"])
    np.testing.assert_array_equal(enc.special_tokens_mask, case["special_tokens_mask"])
    if "offset_mapping" in case:
        np.testing.assert_array_equal(enc.offsets, case["offset_mapping"])


@pytest.mark.parametrize("name", ["bert", "roberta", "distilbert"])
def test_special_ids_and_length_match_hugging_face(name, manifest):
    expected = manifest["models"][name]
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / name)
    assert len(tok) == expected["len_tokenizer"]
    assert tok.mask_token_id == expected["mask_token_id"]
    assert tok.pad_token_id == expected["pad_token_id"]
    assert (tok.cls_token_id, tok.sep_token_id) == (expected["cls_token_id"], expected["sep_token_id"])


@pytest.mark.parametrize("name", [n for n in CASES if _spec(n)["special_tokens"] == "all_special_ids"])
def test_all_special_ids_policy_marks_what_hf_collator_excludes(name):
    spec = _spec(name)
    tok = fm.Tokenizer.from_dir(GOLDEN / MANIFEST["models"][spec["model"]]["dir"])
    enc = tok.encode_batch(spec["texts"], special_tokens="all_special_ids")
    np.testing.assert_array_equal(enc.special_tokens_mask, load_case(name)["all_special_ids_mask"])


@pytest.mark.parametrize("name", CASES)
def test_masks_and_labels_are_bit_identical_to_hf_collator(name):
    spec, case = _spec(name), load_case(name)
    model_spec = MANIFEST["models"][spec["model"]]
    never = case["all_special_ids_mask"] if spec["special_tokens"] == "all_special_ids" else case["special_tokens_mask"]
    masked, labels = fm.mask_tokens(
        case["input_ids"], special_tokens_mask=never, whole_word=spec["whole_word"], offsets=case.get("offset_mapping"),
        mask_token_id=model_spec["mask_token_id"], vocab_size=model_spec["len_tokenizer"],
        rng=np.random.default_rng(spec["seed"]), mlm_probability=spec["mlm_probability"],
        mask_replace_prob=spec["mask_replace_prob"], random_replace_prob=spec["random_replace_prob"])
    np.testing.assert_array_equal(masked, case["masked_input_ids"])
    np.testing.assert_array_equal(labels, case["labels"])


@pytest.mark.parametrize("name", CASES)
def test_ort_logits_match_torch_on_non_padding_positions(name):
    case = load_case(name)
    real = case["attention_mask"] == 1
    diff = np.abs(_ort_logits(name, case)[real] - case["logits"][real])
    assert diff.max() <= TOL["ort_logits_atol"]


@pytest.mark.parametrize("name", CASES)
def test_cross_entropy_on_torch_logits_matches_torch_loss(name):
    case = load_case(name)
    ours = fm.cross_entropy(case["logits"], case["labels"])
    assert ours == pytest.approx(float(case["loss"]), rel=TOL["loss_rtol_torch_logits"])


@pytest.mark.parametrize("name", CASES)
def test_cross_entropy_on_ort_logits_matches_torch_loss(name):
    case = load_case(name)
    ours = fm.cross_entropy(_ort_logits(name, case), case["labels"])
    assert ours == pytest.approx(float(case["loss"]), rel=TOL["loss_rtol_ort_logits"])


@pytest.mark.parametrize("name", CASES)
def test_per_token_losses_match_torch(name):
    case = load_case(name)
    torch_tokens = case["per_token_loss"].reshape(case["labels"].shape)
    on_torch = fm.cross_entropy(case["logits"], case["labels"], reduction="none")
    on_ort = fm.cross_entropy(_ort_logits(name, case), case["labels"], reduction="none")
    # float32 torch losses carry ~1e-7 absolute error from the log-sum-exp, hence the atol
    np.testing.assert_allclose(on_torch, torch_tokens, rtol=TOL["loss_rtol_torch_logits"], atol=1e-6)
    np.testing.assert_allclose(on_ort, torch_tokens, rtol=TOL["loss_rtol_ort_logits"], atol=1e-5)
