"""``MaskedLM.files``: every backend names the files it read, so that a run's outputs can be refused on them."""

from __future__ import annotations

import shutil

import fillmask_np as fm
from fillmask_np.tasks import input_paths

from helpers import GOLDEN

BERT = GOLDEN / "models" / "bert"


def test_an_onnx_model_names_its_graph_and_the_config_beside_it():
    model = fm.OnnxMaskedLM(BERT)
    assert model.files == (str(BERT / "model.onnx"), str(BERT / "config.json"))


def test_an_onnx_models_external_data_file_is_among_its_files(tmp_path):
    shutil.copy(BERT / "model.onnx", tmp_path / "model.onnx")
    (tmp_path / "model.onnx.data").write_bytes(b"")  # where an external-data export keeps its weights
    assert fm.OnnxMaskedLM(tmp_path).files == (str(tmp_path / "model.onnx"), str(tmp_path / "model.onnx.data"))


def test_a_checkpoint_names_its_config_and_weights():
    model = fm.NumpyMaskedLM(BERT)
    assert model.files == (str(BERT / "config.json"), str(BERT / "model.safetensors"))


def test_a_runs_inputs_hold_every_file_of_the_model():
    tokenizer = fm.Tokenizer.from_dir(BERT)
    inputs = input_paths(fm.NumpyMaskedLM(BERT), tokenizer)
    assert inputs == [BERT / "config.json", BERT / "model.safetensors", BERT / "tokenizer.json"]
