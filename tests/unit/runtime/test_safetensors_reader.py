"""The NumPy safetensors reader on files written by hand: zero-copy views, BF16 widened exactly, unaligned
tensors copied, sharded indexes, and one clear error per malformed file."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.runtime.numpy_lm import SafetensorsFile
from fillmask_np.runtime.numpy_lm.checkpoint import Checkpoint

from helpers.safetensors_files import BAD_KINDS, bad_checkpoint, bf16_bits, tiny_bert, write_raw, write_safetensors

ARRAYS = {  # in an order that keeps every tensor aligned for its dtype
    "f64": np.linspace(-1, 1, 6).reshape(2, 3), "i64": np.array([-3, 2**40], dtype=np.int64),
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4), "i32": np.array([[7]], dtype=np.int32),
    "scalar": np.array(3.5, dtype=np.float32), "empty": np.zeros((0, 4), dtype=np.float32),
    "f16": np.array([0.5, -2.0, 65504.0], dtype=np.float16), "i8": np.array([-128, 127], dtype=np.int8),
    "u8": np.array([0, 255], dtype=np.uint8), "bool": np.array([True, False])}


def _root(array: np.ndarray) -> np.ndarray:
    """The array at the bottom of ``array``'s chain of views."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def test_every_dtype_round_trips_as_a_read_only_view_of_the_mapped_file(tmp_path):
    file = SafetensorsFile(write_safetensors(tmp_path / "m.safetensors", ARRAYS, metadata={"format": "pt"}))
    assert file.names == list(ARRAYS) and file.metadata == {"format": "pt"}
    for name, expected in ARRAYS.items():
        got = file.tensor(name)
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected)
        assert not got.flags.writeable and not got.flags.owndata, name
        assert isinstance(_root(got), np.memmap), name  # a view of the mapped file: no copy
    assert file.dtype("f16") == "F16" and file.shape("f64") == (2, 3)


def test_bf16_is_widened_to_float32_exactly(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0, -0.0, np.inf, -np.inf, 1e-40, 3.3895314e38], dtype=np.float32)
    bits = bf16_bits(values)
    file = SafetensorsFile(write_safetensors(tmp_path / "m.safetensors", {"w": ("BF16", bits)}))
    got = file.tensor("w")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), bits.astype(np.uint32) << 16)  # bit for bit
    nan = SafetensorsFile(write_safetensors(tmp_path / "n.safetensors", {"w": ("BF16", np.array([0x7FC0],
                                                                                            np.uint16))}))
    assert np.isnan(nan.tensor("w")[0])


def test_an_unaligned_tensor_is_copied_and_still_read_right(tmp_path):
    values = np.arange(5, dtype=np.float32) + 0.25
    path = write_safetensors(tmp_path / "m.safetensors", {"b": np.array([1], np.uint8), "w": values}, header_pad=1)
    file = SafetensorsFile(path)
    assert (file.data_start + file.entries["w"]["data_offsets"][0]) % 4 != 0  # the case under test
    got = file.tensor("w")
    np.testing.assert_array_equal(got, values)
    assert got.flags.aligned and not got.flags.writeable


def test_a_sharded_checkpoint_reads_each_tensor_from_the_shard_its_index_names(tmp_path):
    single = tiny_bert(tmp_path / "one", seed=3)
    sharded = tiny_bert(tmp_path / "three", seed=3, shards=3)
    assert len(list((tmp_path / "three").glob("model-*.safetensors"))) == 3
    checkpoint = Checkpoint(tmp_path / "three", "bert")
    for name, value in single.items():
        np.testing.assert_array_equal(checkpoint.get(name), value)
        np.testing.assert_array_equal(sharded[name], value)
    assert set(checkpoint.sha256()) == {f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)}


def test_base_model_names_are_found_with_or_without_their_prefix_and_legacy_norm_names(tmp_path):
    values = tiny_bert(tmp_path / "plain", prefix="", legacy=True)
    checkpoint = Checkpoint(tmp_path / "plain", "bert")
    np.testing.assert_array_equal(checkpoint.get("embeddings.LayerNorm.weight", base=True),
                                  values["embeddings.LayerNorm.weight"])
    assert checkpoint.find("embeddings.LayerNorm.bias", base=True) == "embeddings.LayerNorm.beta"
    assert checkpoint.find("cls.predictions.transform.LayerNorm.weight") == "cls.predictions.transform.LayerNorm.gamma"
    tiny_bert(tmp_path / "prefixed")
    prefixed = Checkpoint(tmp_path / "prefixed", "bert")
    assert prefixed.find("embeddings.word_embeddings.weight", base=True) == "bert.embeddings.word_embeddings.weight"
    assert prefixed.find("embeddings.word_embeddings.weight") is None  # head names are looked up as written


def test_float32_weights_are_views_of_the_file_and_halves_are_widened_once(tmp_path):
    tiny_bert(tmp_path / "f32")
    checkpoint = Checkpoint(tmp_path / "f32", "bert")
    word = checkpoint.get("embeddings.word_embeddings.weight", base=True)
    assert isinstance(_root(word), np.memmap) and not word.flags.writeable
    assert checkpoint.dtype_summary() == "float32"
    tiny_bert(tmp_path / "f16", dtype="F16")
    halves = Checkpoint(tmp_path / "f16", "bert")
    first = halves.get("embeddings.word_embeddings.weight", base=True)
    assert first.dtype == np.float32 and first is halves.get("embeddings.word_embeddings.weight", base=True)
    assert halves.dtype_summary() == "float16 (widened to float32)"


def test_a_shape_that_disagrees_with_config_json_is_refused_naming_the_tensor(tmp_path):
    tiny_bert(tmp_path / "m")
    checkpoint = Checkpoint(tmp_path / "m", "bert")
    with pytest.raises(fm.ModelError, match=r"'bert.embeddings.LayerNorm.weight' has shape \[16\] but config.json "
                                            r"implies \[32\]"):
        checkpoint.get("embeddings.LayerNorm.weight", base=True, shape=(32,))


def test_integer_weights_are_refused(tmp_path):
    write_safetensors(tmp_path / "model.safetensors", {"bert.x": np.zeros(2, np.int64)})
    with pytest.raises(fm.ModelError, match="'bert.x' .* has dtype I64; weights must be F32, F16, BF16 or F64"):
        Checkpoint(tmp_path, "bert").get("x", base=True)


def test_a_missing_tensor_of_a_file_is_named(tmp_path):
    file = SafetensorsFile(write_safetensors(tmp_path / "m.safetensors", {"a": np.zeros(1, np.float32)}))
    with pytest.raises(fm.InputFileError, match="holds no tensor 'b'"):
        file.tensor("b")


@pytest.mark.parametrize("kind, error, pattern", [
    ("short-file", fm.InputFileError, "shorter than the 8-byte header length"),
    ("header-longer-than-file", fm.InputFileError, "header claims 1000000 bytes but the file has"),
    ("header-not-json", fm.InputFileError, "header is not UTF-8 JSON"),
    ("overlapping-offsets", fm.InputFileError, "tensors 'first' and 'second' overlap"),
    ("offsets-out-of-range", fm.InputFileError, r"'x' has data_offsets \[0, 16\] outside the 8 data bytes"),
    ("unknown-dtype", fm.InputFileError, "'x' has dtype 'F8_E9M9', not one of"),
    ("shape-disagrees-with-bytes", fm.InputFileError, r"'x' of dtype F32 and shape \[3\] needs 12 bytes"),
    ("missing-tensor", fm.ModelError, "no tensor 'bert.encoder.layer.0.intermediate.dense.weight'"),
    ("pytorch-bin-only", fm.InputFileError, "never unpickles: convert it with python -c"),
    ("unsupported-model-type", fm.ModelError, "model_type='gpt2'; the NumPy backend runs albert, bert, deberta-v2"),
    ("shard-missing", fm.InputFileError, "names shard 'model-00002-of-00002.safetensors', which is not a file"),
    ("shard-lacks-tensor", fm.InputFileError, "puts tensor .* which does not hold it"),
])
def test_each_malformed_checkpoint_is_one_clear_line(tmp_path, kind, error, pattern):
    directory = bad_checkpoint(kind, tmp_path)
    with pytest.raises(error, match=pattern) as raised:
        fm.NumpyMaskedLM(directory)
    assert "\n" not in str(raised.value) and str(directory) in str(raised.value)


def test_the_malformed_cases_are_all_tested():
    assert len(BAD_KINDS) == 12


def test_a_header_that_is_not_an_object_or_has_bad_fields_is_refused(tmp_path):
    cases = [({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}, "not a list of non-negative"),
             ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, r"not \[begin, end\]"),
             ({"x": {"dtype": "F32"}}, "lacks dtype, shape or data_offsets"),
             ({"__metadata__": {"a": 1}}, "__metadata__ is not an object of strings")]
    for header, pattern in cases:
        with pytest.raises(fm.InputFileError, match=pattern):
            SafetensorsFile(write_raw(tmp_path / "m.safetensors", header, bytes(4)))
    with pytest.raises(fm.InputFileError, match="header is a JSON list"):
        SafetensorsFile(write_raw(tmp_path / "m.safetensors", {}, b"", header_bytes=b"[]"))
