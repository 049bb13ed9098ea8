"""NumpyMaskedLM on tiny BERT checkpoints written by hand: the MaskedLM protocol, the LM head on the scored
rows, every weight layout read the same (prefix or not, legacy norm names, shards, bf16 / f16), padding
that changes nothing, inputs refused with one line, and the verbs taking it like an OnnxMaskedLM."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.runtime.numpy_lm import SUPPORTED_MODEL_TYPES
from fillmask_np.runtime.protocol import check_model

from helpers import EVAL_TXT, GOLDEN, sha256
from helpers.safetensors_files import tiny_bert

IDS = np.array([[2, 17, 400, 33, 3, 0, 0], [2, 999, 5, 6, 7, 8, 3], [2, 11, 3, 0, 0, 0, 0]])
MASK = (IDS != 0).astype(np.int64)
TYPES = np.array([[0, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1], [0, 1, 1, 0, 0, 0, 0]])


@pytest.fixture(scope="module")
def bert(tmp_path_factory) -> fm.NumpyMaskedLM:
    directory = tmp_path_factory.mktemp("tiny") / "bert"
    tiny_bert(directory)
    return fm.NumpyMaskedLM.from_pretrained(directory)


def _logits(directory, **layout) -> np.ndarray:
    tiny_bert(directory, **layout)
    return fm.NumpyMaskedLM(directory)(IDS, MASK, TYPES)


def test_it_implements_the_masked_lm_protocol(bert):
    assert isinstance(bert, fm.MaskedLM) and check_model(bert) is bert
    assert bert.gathers_positions is True and bert.vocab_size == 1000 and bert.max_length == 64
    assert bert.input_names == ("input_ids", "attention_mask", "token_type_ids")
    info = bert.describe()
    assert info == {"backend": "numpy", "path": bert.name, "sha256": sha256(bert.directory / "model.safetensors"),
                    "dtype": "float32", "model_type": "bert", "gathers_positions": True, "precision": "float32"}


def test_masked_logits_are_the_full_logits_at_those_positions(bert):
    full = bert(IDS, MASK, TYPES)
    assert full.shape == IDS.shape + (1000,) and full.dtype == np.float32
    at = np.array([[1, 1], [0, 2], [2, 1], [1, 5]])
    rows = bert.masked_logits(IDS, MASK, TYPES, at, pad_token_id=0)
    assert rows.shape == (4, 1000)
    np.testing.assert_allclose(rows, full[at[:, 0], at[:, 1]], rtol=1e-6, atol=1e-6)
    assert bert.masked_logits(IDS, MASK, TYPES, np.zeros((0, 2), dtype=np.int64)).shape == (0, 1000)


def test_padding_and_batch_neighbours_change_nothing(bert):
    full = bert(IDS, MASK, TYPES)
    alone = bert(IDS[2:, :3], MASK[2:, :3], TYPES[2:, :3])
    np.testing.assert_allclose(alone[0], full[2, :3], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bert(IDS, MASK, None), bert(IDS, MASK, np.zeros_like(IDS)), rtol=0, atol=0)


def test_every_weight_layout_gives_the_same_logits(tmp_path):
    reference = _logits(tmp_path / "plain")
    np.testing.assert_array_equal(_logits(tmp_path / "no_prefix", prefix=""), reference)
    np.testing.assert_array_equal(_logits(tmp_path / "legacy", legacy=True), reference)
    np.testing.assert_array_equal(_logits(tmp_path / "sharded", shards=3), reference)


@pytest.mark.parametrize("dtype, said", [("BF16", "bfloat16 (widened to float32)"),
                                         ("F16", "float16 (widened to float32)")])
def test_half_precision_checkpoints_run_as_their_exact_float32_values(tmp_path, dtype, said):
    from helpers.safetensors_files import write_safetensors

    values = tiny_bert(tmp_path / "half", dtype=dtype)
    model = fm.NumpyMaskedLM(tmp_path / "half")
    assert model.describe()["dtype"] == said
    tiny_bert(tmp_path / "wide")
    write_safetensors(tmp_path / "wide" / "model.safetensors", values)  # the same values, stored as float32
    np.testing.assert_array_equal(model(IDS, MASK, TYPES), fm.NumpyMaskedLM(tmp_path / "wide")(IDS, MASK, TYPES))


def test_the_safetensors_file_itself_may_be_passed(bert):
    model = fm.NumpyMaskedLM(bert.directory / "model.safetensors")
    assert model.name == bert.name


@pytest.mark.parametrize("call, error, pattern", [
    (lambda m: m(IDS[:, :5], MASK[:, :5], np.full((3, 5), 2)), fm.ModelError, "token type id 2 is outside"),
    (lambda m: m(np.ones((1, 65), np.int64), np.ones((1, 65), np.int64)), fm.ModelError,
     r"sequence length 65 exceeds the limit of model .*\(64 positions\)"),
    (lambda m: m(IDS + 1000, MASK), fm.FillMaskError, "input id 1999 is outside the model's vocabulary"),
    (lambda m: m(IDS.astype(float), MASK), fm.FillMaskError, "2-D integer"),
    (lambda m: m.masked_logits(IDS, MASK, TYPES, np.array([[3, 0]])), fm.FillMaskError,
     "positions fall outside the"),
])
def test_bad_inputs_are_one_line_errors(bert, call, error, pattern):
    with pytest.raises(error, match=pattern) as raised:
        call(bert)
    assert "\n" not in str(raised.value)


def test_a_model_type_it_cannot_run_is_refused_naming_those_it_can(tmp_path):
    tiny_bert(tmp_path / "m", model_type="t5")
    with pytest.raises(fm.ModelError, match="model_type='t5'; the NumPy backend runs " + ", ".join(
            SUPPORTED_MODEL_TYPES)):
        fm.NumpyMaskedLM(tmp_path / "m")
    assert set(SUPPORTED_MODEL_TYPES) == {"albert", "bert", "deberta-v2", "distilbert", "electra", "esm",
                                          "modernbert", "roberta", "xlm-roberta"}


def test_paths_that_are_not_checkpoints_are_refused(tmp_path):
    with pytest.raises(fm.InputFileError, match="is a int, not a path"):
        fm.NumpyMaskedLM(5)
    with pytest.raises(fm.InputFileError, match="does not exist"):
        fm.NumpyMaskedLM(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(fm.InputFileError, match="holds no config.json"):
        fm.NumpyMaskedLM(tmp_path / "empty")
    (tmp_path / "empty" / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    with pytest.raises(fm.InputFileError, match="holds no model.safetensors"):
        fm.NumpyMaskedLM(tmp_path / "empty")


def test_a_config_that_does_not_match_the_weights_is_refused(tmp_path):
    tiny_bert(tmp_path / "m")
    config = (tmp_path / "m" / "config.json").read_text(encoding="utf-8").replace('"hidden_size": 16',
                                                                                 '"hidden_size": 32')
    (tmp_path / "m" / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(fm.ModelError, match="config.json implies"):
        fm.NumpyMaskedLM(tmp_path / "m")


def test_the_verbs_take_it_like_an_onnx_model(bert, tmp_path):
    tok = fm.Tokenizer.from_dir(GOLDEN / "models" / "bert")
    bert.check_tokenizer(tok)
    report = fm.evaluate(bert, tok, EVAL_TXT, seed=0, limit=12)
    assert report.n_masked > 0 and np.isfinite(report.cross_entropy)
    again = fm.evaluate(bert, tok, EVAL_TXT, seed=0, limit=12, batch_size=5)
    assert again.cross_entropy == pytest.approx(report.cross_entropy, rel=1e-6)
    copy = shutil.copytree(bert.directory, tmp_path / "copy")  # the same checkpoint, another file
    compared = fm.compare(bert, fm.NumpyMaskedLM(copy), tok, EVAL_TXT, seed=0, limit=12, bootstrap=10)
    assert compared.delta_cross_entropy == 0.0 and compared.verdict == "PASS"
    pll = fm.pseudo_log_likelihood(bert, tok, ["the cat sat on the mat"])
    assert pll.n_scored_tokens > 0 and np.isfinite(pll.pseudo_perplexity)
    filled = fm.fill_mask(bert, tok, f"the cat {tok.mask_token} on the mat", top_k=3)
    assert len(filled) == 3
