"""``--precision float32|float64`` runs a checkpoint with the NumPy backend in that arithmetic on every verb that
loads a model, and ``compare --reference-precision float64`` makes the exact reference; the provenance records
which precision ran."""

from __future__ import annotations

import json
import shutil

import pytest

from helpers import EVAL_TXT, GOLDEN
from helpers.cli_runs import cli, ok_json

pytestmark = pytest.mark.cli

BERT = GOLDEN / "models" / "bert"  # model.onnx and the checkpoint beside it
CHECKPOINT = ["--model", str(BERT), "--backend", "numpy"]
DATA = ["--data", str(EVAL_TXT), "--limit", "24"]


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_eval_records_the_precision_that_ran_and_agrees_with_onnx_runtime_to_float32_noise(precision):
    report = ok_json("eval", *CHECKPOINT, "--precision", precision, *DATA)
    onnx = ok_json("eval", "--model", str(BERT), *DATA)
    assert report["provenance"]["model"]["precision"] == precision
    assert report["n_masked"] == onnx["n_masked"]
    assert report["cross_entropy"] == pytest.approx(onnx["cross_entropy"], rel=1e-5)


def test_eval_without_precision_runs_the_checkpoint_in_float32():
    assert ok_json("eval", *CHECKPOINT, *DATA)["provenance"]["model"]["precision"] == "float32"


def test_pppl_in_float64_agrees_with_float32_to_float32_noise():
    exact = ok_json("pppl", *CHECKPOINT, "--precision", "float64", "--data", str(EVAL_TXT), "--limit", "6")
    fast = ok_json("pppl", *CHECKPOINT, "--precision", "float32", "--data", str(EVAL_TXT), "--limit", "6")
    assert exact["provenance"]["model"]["precision"] == "float64"
    assert exact["pseudo_perplexity"] == pytest.approx(fast["pseudo_perplexity"], rel=1e-5)


@pytest.mark.parametrize("verb", ["predict", "generate"])
def test_predict_and_generate_in_float64_give_the_float32_tokens(verb):
    prompt = "the cat [MASK] on the [MASK]."
    exact = cli(verb, *CHECKPOINT, "--precision", "float64", prompt)
    fast = cli(verb, *CHECKPOINT, "--precision", "float32", prompt)
    assert (exact.status, fast.status) == (0, 0), exact.err + fast.err
    assert [line.split()[:2] for line in exact.out.splitlines()] == [line.split()[:2] for line in fast.out.splitlines()]


def test_compare_against_the_float64_reference_records_both_precisions():
    run = cli("compare", *CHECKPOINT, "--reference", str(BERT), "--reference-backend", "numpy",
              "--reference-precision", "float64", *DATA, "--bootstrap", "0", "--json")
    assert run.status == 0, run.err
    report = json.loads(run.out)
    assert report["provenance"]["model"]["precision"] == "float32"
    assert report["provenance"]["reference"]["precision"] == "float64"
    assert 0 < report["max_abs_logit_diff"] < 1e-4


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint-only copy of the golden bert (no model.onnx), as the docs' my-checkpoint/ (backends.md)."""
    folder = tmp_path_factory.mktemp("precision") / "my-checkpoint"
    shutil.copytree(BERT, folder, ignore=shutil.ignore_patterns("model.onnx"))
    return folder


def test_the_readmes_exact_reference_commands_run_in_float64(checkpoint):
    report = ok_json("eval", "--model", checkpoint, "--precision", "float64", "--data", EVAL_TXT)
    assert report["provenance"]["model"]["precision"] == "float64"
    compared = ok_json("compare", "--model", BERT, "--reference", checkpoint, "--reference-precision", "float64",
                       "--data", EVAL_TXT)
    assert compared["provenance"]["reference"]["precision"] == "float64"
    assert compared["provenance"]["model"]["backend"] == "onnx" and compared["verdict"] == "PASS"


def test_a_table_names_the_float64_reference_and_leaves_float32_as_it_was(checkpoint):
    exact = cli("eval", "--model", checkpoint, "--precision", "float64", "--data", EVAL_TXT)
    fast = cli("eval", "--model", checkpoint, "--data", EVAL_TXT)
    assert f"model           {checkpoint} (NumPy, float64)\n" in exact.out
    assert f"model           {checkpoint}\n" in fast.out
    compared = cli("compare", "--model", BERT, "--reference", checkpoint, "--reference-precision", "float64",
                   "--data", EVAL_TXT, "--bootstrap", "0")
    assert compared.status == 0 and f"{checkpoint} (NumPy, float64)" in compared.out, compared.err
