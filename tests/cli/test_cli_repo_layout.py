"""A local clone of a Hub repo that ships its ONNX export as ``onnx/model.onnx`` (config.json and the tokenizer
at the top) runs as the Hub id would: ``--model CLONE`` runs ``onnx/model.onnx``, the file itself finds the
tokenizer one folder up, ``optimize`` copies the config and tokenizer beside its output, and the figures are the
export directory's own."""

from __future__ import annotations

import json

import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from fillmask_np.distributed.actors import load_tokenizer
from fillmask_np.runtime import resolve_model, unused_sibling

from helpers import EVAL_TXT, GOLDEN
from helpers.model_kinds import make_repo_clone

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"


def eval_json(capsys, model, *extra):
    assert main(["eval", "--model", str(model), "--data", str(EVAL_TXT), "--json", *extra]) == 0
    report = json.loads(capsys.readouterr().out)
    paths = {key: report.pop(key) for key in ("model", "tokenizer")}  # the files read: the clone's own
    return report, {**report.pop("provenance"), "files": paths}


def test_a_clone_folder_runs_its_onnx_export_with_the_export_directorys_figures(capsys, tmp_path):
    clone = make_repo_clone(tmp_path / "repo")
    report, provenance = eval_json(capsys, clone)
    expected, _ = eval_json(capsys, BERT)
    assert report == expected
    assert provenance["model"]["backend"] == "onnx" and provenance["model"]["path"].endswith("repo/onnx/model.onnx")
    assert provenance["files"]["tokenizer"] == str(clone / "tokenizer.json")


def test_the_clones_onnx_file_finds_the_tokenizer_one_folder_up(capsys, tmp_path):
    clone = make_repo_clone(tmp_path / "repo")
    report, _ = eval_json(capsys, clone / "onnx" / "model.onnx")
    expected, _ = eval_json(capsys, BERT)
    assert report == expected


def test_resolving_a_clone_names_the_export_and_the_folder_with_the_tokenizer(tmp_path):
    clone = make_repo_clone(tmp_path / "repo")
    assert resolve_model(clone) == (clone / "onnx" / "model.onnx", clone, None)
    assert resolve_model(clone / "onnx" / "model.onnx").tokenizer_dir == clone
    assert resolve_model(BERT / "model.onnx").tokenizer_dir == BERT  # an export's own folder is unchanged


def test_the_numpy_backend_runs_a_clones_checkpoint_and_says_the_export_was_left(capsys, tmp_path):
    clone = make_repo_clone(tmp_path / "repo", checkpoint=True)
    assert resolve_model(clone, backend="numpy").path == clone
    report, provenance = eval_json(capsys, clone, "--backend", "numpy")
    expected, _ = eval_json(capsys, BERT, "--backend", "numpy")
    assert report == expected and provenance["model"]["backend"] == "numpy"
    note = unused_sibling(fm.load_model(clone, backend="numpy").describe())
    assert note is not None and "holds a checkpoint and onnx/model.onnx: the checkpoint was run" in note


def test_auto_runs_a_clones_export_over_its_checkpoint_as_the_hub_does_and_says_so(tmp_path):
    clone = make_repo_clone(tmp_path / "repo", checkpoint=True)
    model = fm.load_model(clone)
    assert model.describe()["backend"] == "onnx"
    note = unused_sibling(model.describe())
    assert note is not None and "(model.safetensors) and onnx/model.onnx: onnx/model.onnx was run" in note


def test_optimize_on_a_clone_writes_the_config_and_tokenizer_beside_its_output(capsys, tmp_path):
    clone = make_repo_clone(tmp_path / "repo")
    out = tmp_path / "fast"
    assert main(["optimize", str(clone), "-o", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.onnx", "tokenizer.json",
                                                     "tokenizer_config.json", "vocab.txt"]
    report, _ = eval_json(capsys, out)
    expected, _ = eval_json(capsys, BERT)
    assert report["cross_entropy"] == expected["cross_entropy"] and report["n_masked"] == expected["n_masked"]


def test_a_ray_worker_finds_the_tokenizer_of_a_clones_onnx_file(tmp_path):
    clone = make_repo_clone(tmp_path / "repo")
    tokenizer = load_tokenizer(clone / "onnx" / "model.onnx", None)
    assert len(tokenizer) == len(fm.Tokenizer.from_dir(BERT)) and str(clone) in repr(tokenizer)
