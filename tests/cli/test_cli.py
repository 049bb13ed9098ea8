"""The fillmask-np command, driven through main([...]): eval's outputs and the provenance of its JSON,
`python -m fillmask_np`, and one-line errors with exit 2 (other commands: tests/cli/test_cli_<command>.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main

from helpers import GOLDEN, sha256

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"


def test_eval_with_no_arguments_runs_the_bundled_model_on_the_bundled_text(capsys):
    assert main(["eval"]) == 0
    out = capsys.readouterr().out
    assert "cross-entropy" in out and "top-5 accuracy" in out


@pytest.mark.golden
def test_default_eval_reproduces_torch_on_the_same_per_sample_masks(capsys, manifest):
    torch_figure = manifest["models"]["bert"]["eval_txt_reference"]
    assert main(["eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n_samples"], report["n_masked"]) == (torch_figure["n_samples"], torch_figure["n_masked"])
    assert report["cross_entropy"] == pytest.approx(torch_figure["cross_entropy"],
                                                    rel=manifest["tolerances"]["loss_rtol_ort_logits"])


def test_eval_json_equals_the_python_api(capsys):
    data = GOLDEN / "text" / "eval.txt"
    assert main(["eval", "--model", str(BERT / "model.onnx"), "--tokenizer", str(BERT / "tokenizer.json"),
                 "--data", str(data), "--seed", "42", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = fm.evaluate(fm.OnnxMaskedLM(BERT), fm.Tokenizer.from_dir(BERT), data, seed=42)
    assert report["n_masked"] == expected.n_masked
    assert report["cross_entropy"] == expected.cross_entropy  # JSON floats are written exactly
    assert report["settings"]["seed"] == 42 and report["settings"]["masking"] == "per_sample"


def test_eval_masking_options_reach_the_report(capsys):
    assert main(["eval", "--whole-word", "--special-tokens", "all_special_ids", "--masking", "hf", "--json"]) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["whole_word"] is True and settings["special_tokens"] == "all_special_ids"
    assert (settings["mask_replace_prob"], settings["random_replace_prob"]) == (1.0, 0.0)


def test_cli_json_carries_the_provenance_of_every_figure(capsys, manifest):
    import onnxruntime

    bert, data = GOLDEN / "models" / "bert", GOLDEN / "text" / "eval.txt"
    assert main(["eval", "--model", str(bert), "--data", str(data), "--seed", "6", "--masking", "hf", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    prov = out["provenance"]
    assert prov["model"]["sha256"] == sha256(bert / "model.onnx")
    assert prov["model"]["opsets"]["ai.onnx"] == manifest["models"]["bert"]["export"]["opset"]
    assert prov["tokenizer"]["sha256"] == sha256(bert / "tokenizer.json") and prov["data"]["sha256"] == sha256(data)
    assert prov["onnxruntime"] == onnxruntime.__version__ and prov["model"]["providers"] == ["CPUExecutionProvider"]
    assert prov["seed"] == 6 and prov["masking"]["masking"] == "hf" and prov["masks"] is None
    assert prov["masking"] == {k: out["settings"][k] for k in prov["masking"]}
    assert prov["counts"] == {k: out[k] for k in prov["counts"]} and prov["counts"]["n_masked"] > 0


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "fillmask_np", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "eval" in out.stdout and "predict" in out.stdout


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """One folder of broken inputs, built once for every bad-input case."""
    tmp_path = tmp_path_factory.mktemp("bad")
    (tmp_path / "not.onnx").write_text("hello")
    (tmp_path / "latin1.txt").write_bytes(b"ok\ncaf\xe9\n")
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\nnope\n')
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "tok").mkdir()
    from tokenizers import Tokenizer, models
    Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]")).save(str(tmp_path / "tok" / "tokenizer.json"))
    from helpers.onnx_graphs import lookup_model
    vocab = fm.OnnxMaskedLM(BERT).vocab_size
    lookup_model(tmp_path / "small.onnx", np.zeros((10, 10)))
    lookup_model(tmp_path / "nan.onnx", np.full((vocab, vocab), np.nan))
    lookup_model(tmp_path / "nologits.onnx", np.zeros((10, 10)), logits=False)
    lookup_model(tmp_path / "pixels.onnx", np.zeros((10, 10)), inputs=("input_ids", "pixel_values"))
    return tmp_path


CASES = [
    (["eval", "--model", "{tmp}/missing.onnx"], "does not exist"),
    (["eval", "--model", "{tmp}/not.onnx", "--tokenizer", str(BERT)], "cannot load"),
    (["eval", "--data", "{tmp}/missing.txt"], "data file"),
    (["eval", "--data", "{tmp}/latin1.txt"], "line 2 is not valid UTF-8"),
    (["eval", "--data", "{tmp}/bad.jsonl"], "line 2 is not JSON"),
    (["eval", "--data", "{tmp}/empty.txt"], "no non-empty sample"),
    (["eval", "--mlm-probability", "0"], "--mlm-probability 0.0"),
    (["eval", "--mask-replace-prob", "0.9", "--random-replace-prob", "0.2"], "exceeds 1"),
    (["eval", "--tokenizer", "{tmp}/tok"], "no mask token"),
    (["predict", "no mask here"], "no mask token '[MASK]'"),
    (["eval", "--model", "{tmp}/small.onnx", "--tokenizer", str(BERT)], "model vocabulary has 10 entries"),
    (["eval", "--model", "{tmp}/nan.onnx", "--tokenizer", str(BERT)], "NaN and 0 inf"),
    (["eval", "--model", "{tmp}/nologits.onnx", "--tokenizer", str(BERT)], "no single logits output"),
    (["eval", "--model", "{tmp}/small.onnx"], "no tokenizer beside"),
    (["eval", "--seed", "-3"], "--seed -3 must be an integer from 0"),
    (["eval", "--batch-size", "0"], "--batch-size 0"),
    (["eval", "--threads", "0"], "--threads 0"),
    (["eval", "--max-length", "1"], "--max-length 1 leaves no room"),
    (["predict", "the [MASK] sat", "--top-k", "0"], "--top-k 0"),
    (["eval", "--whole-word", "--mask-replace-prob", "0.8"], "whole-word masking replaces every selected token"),
    (["eval", "--logits-output", "scores"], "has no output 'scores'"),
    (["eval", "--model", "{tmp}/pixels.onnx", "--tokenizer", str(BERT)], "'pixel_values' cannot be filled"),
]


@pytest.mark.parametrize("argv, message", CASES)
def test_bad_input_is_one_line_on_stderr_and_exit_2(bad_files, capsys, argv, message):
    code = main([a.replace("{tmp}", str(bad_files)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err
