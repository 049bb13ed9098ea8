"""`fillmask-np compare`: the verdict's exit code, the JSON figures and provenance, torch npz references, and
one-line errors."""

from __future__ import annotations

import json

import pytest

import fillmask_np as fm
from fillmask_np.cli import main

from helpers import EVAL_TXT, GOLDEN, sha256, write_reference_npz

pytestmark = pytest.mark.cli

MODELS = GOLDEN / "models"
BERT = MODELS / "bert"


def test_cli_export_against_its_own_checkpoint_passes_the_fidelity_profile_with_exit_0(capsys):
    assert main(["compare", "--reference", str(BERT), "--reference-backend", "numpy", "--data", str(EVAL_TXT),
                 "--limit", "40"]) == 0
    captured = capsys.readouterr()
    assert "verdict          PASS" in captured.out and "profile          fidelity (neither model" in captured.out
    assert captured.err == (f"fillmask-np: note: --reference {str(BERT)!r} holds a checkpoint and model.onnx: the "
                            f"checkpoint was run (NumPy backend); backend='onnx' (--reference-backend onnx) runs "
                            f"model.onnx\n")


@pytest.mark.golden  # the thresholds come from torch's figures in the manifest
def test_cli_exit_1_on_regression_and_0_on_at_risk(capsys, manifest):
    ce = {m: manifest["models"][m]["eval_txt_reference"]["cross_entropy"] for m in ("electra", "bert")}
    rel = ce["electra"] / ce["bert"] - 1  # torch's per-sample figures: electra is ~8 % worse on eval.txt
    assert 0.05 < rel < 0.10
    args = ["compare", "--model", str(MODELS / "electra"), "--reference", str(BERT), "--bootstrap", "0", "--profile",
            "lossy"]
    assert main(args) == 1 and "verdict          REGRESSION" in capsys.readouterr().out  # another checkpoint
    only_ce = ["--kl-at-risk", "100", "--kl-regression", "100", "--agreement-at-risk", "0", "--agreement-regression",
               "0", "--top5-at-risk", "0", "--top5-regression", "0"]  # the relative ΔCE alone decides
    assert main(args + only_ce + ["--at-risk", f"{rel / 2:.4f}", "--regression", f"{2 * rel:.4f}"]) == 0
    assert "verdict          AT_RISK" in capsys.readouterr().out
    assert main(args + only_ce + ["--at-risk", f"{rel / 4:.4f}", "--regression", f"{rel / 2:.4f}"]) == 1
    assert "verdict          REGRESSION" in capsys.readouterr().out


def test_cli_json_has_every_figure_and_its_provenance(capsys, bert_tok):
    assert main(["compare", "--reference", str(GOLDEN / "variants" / "bert_fp16"), "--limit", "30", "--seed", "3",
                 "--bootstrap", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"verdict", "delta_cross_entropy", "relative_delta", "delta_ci95", "mean_kl", "top1_agreement",
            "top5_overlap", "max_abs_logit_diff", "mean_cosine", "min_cosine", "n_masked", "candidate", "reference",
            "thresholds", "settings", "provenance"} <= set(report)
    assert {"cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy"} <= set(report["candidate"])
    prov = report["provenance"]
    assert prov["model"]["sha256"] == sha256(BERT / "model.onnx")
    assert prov["reference"]["sha256"] == sha256(GOLDEN / "variants" / "bert_fp16" / "model.onnx")
    assert prov["reference"]["opsets"] and prov["model"]["providers"] == ["CPUExecutionProvider"]
    assert prov["tokenizer"]["sha256"] and prov["data"]["sha256"] and prov["onnxruntime"]
    assert (prov["seed"], prov["masking"], prov["n_masked"]) == (3, "per_sample", report["n_masked"])


@pytest.fixture()
def bert_npz_reference(tmp_path, bert_model, bert_tok):
    """(masks, reference.npz) of the golden BERT on 30 lines of eval.txt, masks drawn with seed 1."""
    masks = tmp_path / "masks.npz"
    fm.evaluate(bert_model, bert_tok, str(EVAL_TXT), seed=1, limit=30, save_masks=masks)
    return masks, write_reference_npz(tmp_path / "reference.npz", bert_model, masks)


def test_cli_torch_npz_reference_replays_its_masks(capsys, bert_npz_reference):
    masks, npz = bert_npz_reference
    assert main(["compare", "--reference", str(npz), "--masks", str(masks), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["reference_kind"] == "torch_npz" and report["settings"]["seed"] == 1
    assert report["provenance"]["reference"]["torch_version"] == "none"


def test_cli_a_seed_that_conflicts_with_the_masks_file_exits_2(capsys, bert_npz_reference):
    masks, npz = bert_npz_reference
    assert main(["compare", "--reference", str(npz), "--masks", str(masks), "--seed", "2"]) == 2
    assert "conflicts with masks file" in capsys.readouterr().err


def test_cli_different_tokenizers_exit_2_with_one_line(capsys):
    assert main(["compare", "--model", str(MODELS / "roberta"), "--reference", str(BERT)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1 and "different ids" in err
