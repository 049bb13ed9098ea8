"""OnnxMaskedLM reads the graph's input contract: names, int dtype, fixed shapes, the logits output."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers.onnx_graphs import TensorProto, lookup_model

V = 12
TABLE = np.random.default_rng(0).normal(size=(V, V)).astype(np.float32)
IDS = np.array([[1, 5, 7, 2, 0], [1, 9, 2, 0, 0], [1, 3, 4, 6, 2]])
MASK = (IDS != 0).astype(np.int64)


def test_dynamic_graph_returns_the_table_rows(tmp_path):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE))
    assert model.vocab_size == V and model.fixed_batch is None and model.fixed_length is None
    np.testing.assert_array_equal(model(IDS, MASK), TABLE[IDS])


def test_int32_inputs_are_cast_for_the_graph(tmp_path):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, int_type=TensorProto.INT32))
    assert model.inputs["input_ids"].dtype is np.int32
    np.testing.assert_array_equal(model(IDS, MASK), TABLE[IDS])


@pytest.mark.parametrize("batch, length", [(1, 8), (2, 8), (4, 5), (2, "sequence")])
def test_fixed_batch_and_length_are_padded_then_trimmed(tmp_path, batch, length):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, batch=batch, length=length))
    out = model(IDS, MASK)
    assert out.shape == IDS.shape + (V,)
    np.testing.assert_array_equal(out, TABLE[IDS])


def test_a_batch_longer_than_the_fixed_length_is_refused(tmp_path):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, length=4))
    with pytest.raises(fm.ModelError, match="fixed length 4"):
        model(IDS, MASK)


def test_logits_are_found_by_name_beside_other_outputs(tmp_path):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, extra_output=True))
    assert model.output_name == "logits"


def test_a_single_rank3_float_output_is_the_logits_whatever_its_name(tmp_path):
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, output="prediction_scores"))
    np.testing.assert_array_equal(model(IDS, MASK), TABLE[IDS])


def test_a_model_without_logits_is_refused_with_its_outputs_listed(tmp_path):
    with pytest.raises(fm.ModelError, match=r"no single logits output \(outputs: \[\('ids_copy'"):
        fm.OnnxMaskedLM(lookup_model(tmp_path / "m.onnx", TABLE, logits=False))


def test_roberta_like_position_ids_start_after_the_padding_index(tmp_path):
    # HF's create_position_ids_from_input_ids: padding_idx + cumsum(real) on real tokens, padding_idx on padding
    path = lookup_model(tmp_path / "m.onnx", np.tile(TABLE, (3, 1)),
                        inputs=("input_ids", "attention_mask", "position_ids"))
    (tmp_path / "config.json").write_text('{"model_type": "roberta", "pad_token_id": 0}')
    model = fm.OnnxMaskedLM(path)
    assert model.position_ids == "padding_offset"
    expected_positions = np.array([[1, 2, 3, 4, 0], [1, 2, 3, 0, 0], [1, 2, 3, 4, 5]])
    np.testing.assert_array_equal(model(IDS, MASK, pad_token_id=0), np.tile(TABLE, (3, 1))[IDS + expected_positions])


def test_position_ids_style_can_be_forced(tmp_path):
    path = lookup_model(tmp_path / "m.onnx", np.tile(TABLE, (3, 1)),
                        inputs=("input_ids", "attention_mask", "position_ids"))
    (tmp_path / "config.json").write_text('{"model_type": "roberta", "pad_token_id": 0}')
    model = fm.OnnxMaskedLM(path, position_ids="arange")
    np.testing.assert_array_equal(model(IDS, MASK), np.tile(TABLE, (3, 1))[IDS + np.arange(5)])
    with pytest.raises(fm.ModelError, match="position_ids='zeros' is not"):
        fm.OnnxMaskedLM(path, position_ids="zeros")


def test_hidden_states_beside_renamed_logits_need_a_hint(tmp_path):
    path = lookup_model(tmp_path / "m.onnx", TABLE, output="scores", hidden_output="last_hidden_state")
    with pytest.raises(fm.ModelError, match=r"no single logits output.*logits_output=NAME"):
        fm.OnnxMaskedLM(path)


def test_logits_output_can_be_named(tmp_path):
    path = lookup_model(tmp_path / "m.onnx", TABLE, output="scores", hidden_output="last_hidden_state")
    model = fm.OnnxMaskedLM(path, logits_output="scores")
    np.testing.assert_array_equal(model(IDS, MASK), TABLE[IDS])


def test_config_vocab_size_picks_the_logits_among_rank3_outputs(tmp_path):
    path = lookup_model(tmp_path / "m.onnx", TABLE, output="scores", hidden_output="last_hidden_state")
    (tmp_path / "config.json").write_text(f'{{"vocab_size": {V}}}')
    assert fm.OnnxMaskedLM(path).output_name == "scores"


@pytest.mark.parametrize("name, message", [("nope", "has no output 'nope'"),
                                           ("ids_copy", "'ids_copy' .* is tensor\\(int64\\)")])
def test_a_bad_logits_output_name_is_refused(tmp_path, name, message):
    path = lookup_model(tmp_path / "m.onnx", TABLE, extra_output=True)
    with pytest.raises(fm.ModelError, match=message):
        fm.OnnxMaskedLM(path, logits_output=name)


def test_token_type_ids_input_is_filled_with_zeros(tmp_path):
    path = lookup_model(tmp_path / "m.onnx", TABLE, inputs=("input_ids", "attention_mask", "token_type_ids"))
    np.testing.assert_array_equal(fm.OnnxMaskedLM(path)(IDS, MASK), TABLE[IDS])


def test_position_ids_input_is_filled_with_zero_to_length(tmp_path):
    table = np.random.default_rng(1).normal(size=(20, 20)).astype(np.float32)
    path = lookup_model(tmp_path / "m.onnx", table, inputs=("input_ids", "attention_mask", "position_ids"))
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    positions = np.arange(IDS.shape[1])[None, :]
    np.testing.assert_array_equal(fm.OnnxMaskedLM(path)(IDS, MASK), table[IDS + positions])


@pytest.mark.parametrize("config", [None, '{"pad_token_id": 1}'])
def test_position_ids_without_a_model_type_are_refused_with_the_fix(tmp_path, config):
    # filled BERT-style, a RoBERTa export's positions would be silently wrong (CE 6.29 instead of 5.32)
    path = lookup_model(tmp_path / "m.onnx", TABLE, inputs=("input_ids", "attention_mask", "position_ids"))
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    with pytest.raises(fm.ModelError, match=r"takes position_ids.*set \"model_type\" in config.json"):
        fm.OnnxMaskedLM(path)
    assert fm.OnnxMaskedLM(path, position_ids="arange").position_ids == "arange"


@pytest.mark.parametrize("name", ["pixel_values", "decoder_input_ids"])
def test_an_unsupported_input_is_named_with_the_supported_ones(tmp_path, name):
    path = lookup_model(tmp_path / "m.onnx", TABLE, inputs=("input_ids", name))
    with pytest.raises(fm.ModelError, match=rf"'{name}'.*'input_ids', 'attention_mask', 'token_type_ids', "
                                            rf"'position_ids'"):
        fm.OnnxMaskedLM(path)


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_text("this is not a protobuf")
    with pytest.raises(fm.ModelError, match="cannot load .*model.onnx"):
        fm.OnnxMaskedLM(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(fm.InputFileError, match="does not exist"):
        fm.OnnxMaskedLM(tmp_path / "nope.onnx")


def test_a_directory_means_its_model_onnx(tmp_path):
    lookup_model(tmp_path / "model.onnx", TABLE)
    assert fm.OnnxMaskedLM(tmp_path).path == tmp_path / "model.onnx"


@pytest.mark.parametrize("config, expected", [
    ({"model_type": "bert", "max_position_embeddings": 512}, 512),
    ({"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": 1}, 512),
    ({"model_type": "bert"}, None),
])
def test_max_length_comes_from_config_json_beside_the_model(tmp_path, config, expected):
    import json

    (tmp_path / "config.json").write_text(json.dumps(config))
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "model.onnx", TABLE))
    assert model.max_length == expected


def test_a_fixed_sequence_length_caps_max_length(tmp_path):
    assert fm.OnnxMaskedLM(lookup_model(tmp_path / "model.onnx", TABLE, length=64)).max_length == 64


def test_masked_logits_rows_stay_valid_when_the_reused_output_buffer_is_rewritten(bert_model):
    rng = np.random.default_rng(0)
    first_ids = rng.integers(5, 900, (3, 17))
    first_pos = np.array([[0, 1], [2, 16], [1, 5]])
    first = bert_model.masked_logits(first_ids, np.ones_like(first_ids), None, first_pos)
    kept = first.copy()
    for shape in ((5, 40), (1, 9), (3, 17)):  # larger, smaller, then the first shape again
        ids = rng.integers(5, 900, shape)
        pos = np.argwhere(rng.random(shape) < 0.3)
        rows = bert_model.masked_logits(ids, np.ones_like(ids), None, pos)
        full = bert_model(ids, np.ones_like(ids))  # [B, L, V], a fresh array
        np.testing.assert_array_equal(rows, full[pos[:, 0], pos[:, 1]])
    np.testing.assert_array_equal(first, kept)  # earlier results are copies, not views of the buffer
