"""Every verb x every kind of model x every output option, through ``main([...])``.

The kinds (``helpers.model_kinds``): the golden BERT's ONNX file, its export directory, a checkpoint directory
(the NumPy backend), and the optimized and int8 directories ``fillmask-np optimize`` writes. Each verb runs on
each kind it accepts with each output option it offers; a case checks the exit status, that each output parses
and holds the run's figures, and that the kinds agree where they must: the same masks everywhere, the same
figures for the same file, within the golden ONNX-vs-torch tolerance for the other float32 kinds, within
compare's AT_RISK bound (1 % of the cross-entropy) for int8.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import load_manifest, load_npz, sha256
from helpers.cli_runs import cli, html_metrics, ok_json
from helpers.model_kinds import KINDS

pytestmark = pytest.mark.cli

FP32 = ("onnx_file", "export_dir", "checkpoint_dir", "optimized_dir")
EVAL = ["--limit", "40"]  # samples scored per eval / compare run: enough masks, a fraction of a second
PPPL = ["--limit", "6"]
PROMPT = "the cat [MASK] on the mat."
INT8_RTOL = 0.01  # compare's default AT_RISK bound on the relative cross-entropy change


def rtol_between(kind: str) -> float:
    """How close a kind's figures must be to the ONNX file's: 0 for the same graph, the golden tolerance for a
    float32 model computed otherwise, compare's AT_RISK bound for int8."""
    if kind in ("onnx_file", "export_dir"):
        return 0.0
    if kind == "int8_dir":
        return INT8_RTOL
    return load_manifest()["tolerances"]["loss_rtol_ort_logits"]


@pytest.fixture(scope="module")
def evals(model_kinds, tmp_path_factory) -> dict[str, dict[str, Any]]:
    """{kind: eval --json with --html, --tokens and --save-masks, and the paths of those files}."""
    out = {}
    for kind in KINDS:
        root = tmp_path_factory.mktemp(f"eval_{kind}")
        files = {"html": root / "r.html", "tokens": root / "t.jsonl", "masks": root / "m.npz"}
        report = ok_json("eval", "--model", model_kinds[kind], *EVAL, "--html", files["html"],
                         "--tokens", files["tokens"], "--save-masks", files["masks"])
        out[kind] = {"report": report, **files}
    return out


# ----------------------------------------------------------------------------------------------------------- eval
@pytest.mark.parametrize("kind", KINDS)
def test_eval_json_names_the_model_and_masks_the_same_tokens_on_every_kind(evals, model_kinds, kind):
    report, onnx = evals[kind]["report"], evals["onnx_file"]["report"]
    assert report["provenance"]["model"]["path"] == report["model"]
    given = model_kinds[kind]
    assert Path(report["model"]).resolve() in {given.resolve(), (given / "model.onnx").resolve()}
    assert (report["n_masked"], report["n_samples"]) == (onnx["n_masked"], onnx["n_samples"])
    assert report["n_masked"] > 0 and report["saved_masks"]["path"] == str(evals[kind]["masks"])


@pytest.mark.parametrize("kind", KINDS)
def test_eval_figures_agree_with_the_onnx_file_within_the_kinds_tolerance(evals, kind):
    report, onnx = evals[kind]["report"], evals["onnx_file"]["report"]
    rtol = rtol_between(kind)
    assert report["cross_entropy"] == pytest.approx(onnx["cross_entropy"], rel=rtol, abs=0)
    if kind != "int8_dir":
        assert report["top1_accuracy"] == onnx["top1_accuracy"]


@pytest.mark.parametrize("kind", KINDS)
def test_eval_html_page_shows_the_json_figures(evals, kind):
    report, metrics = evals[kind]["report"], html_metrics(evals[kind]["html"])
    assert report["html_file"] == str(evals[kind]["html"])
    assert metrics["cross_entropy"] == report["cross_entropy"] and metrics["n_masked"] == report["n_masked"]


@pytest.mark.parametrize("kind", KINDS)
def test_eval_tokens_file_holds_one_row_per_masked_token_whose_mean_loss_is_the_cross_entropy(evals, kind):
    report = evals[kind]["report"]
    rows = [json.loads(line) for line in evals[kind]["tokens"].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == report["n_masked"] and report["tokens_file"] == str(evals[kind]["tokens"])
    assert np.mean([r["loss"] for r in rows]) == pytest.approx(report["cross_entropy"], rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_eval_saved_masks_replay_to_the_same_figures_on_the_kind_and_on_the_onnx_file(evals, model_kinds,
                                                                                      capsys, kind):
    masks = evals[kind]["masks"]
    assert sha256(masks) == evals[kind]["report"]["saved_masks"]["sha256"]
    for on in (kind, "onnx_file"):
        replay = ok_json("eval", "--model", model_kinds[on], *EVAL, "--masks", masks)
        assert replay["cross_entropy"] == evals[on]["report"]["cross_entropy"]
        assert replay["settings"]["masks_sha256"] == sha256(masks)


@pytest.mark.parametrize("kind", KINDS)
def test_eval_table_lists_the_figures_and_every_file_written(evals, model_kinds, tmp_path, kind):
    run = cli("eval", "--model", model_kinds[kind], *EVAL, "--html", tmp_path / "r.html",
              "--tokens", tmp_path / "t.csv", "--save-masks", tmp_path / "m.npz", "--worst", "2")
    assert (run.status, run.err) == (0, "")
    rows = dict(re.findall(r"^(\S[^\n]*?)\s{2,}(.*)$", run.out, flags=re.M))
    report = evals[kind]["report"]
    assert rows["model"] == report["model"]
    assert rows["cross-entropy"] == f"{report['cross_entropy']:.4f} nats/token"
    assert rows["masked tokens"].startswith(f"{report['n_masked']} in ")
    assert rows["token records"] == str(tmp_path / "t.csv") and rows["html report"] == str(tmp_path / "r.html")
    assert rows["saved masks"].startswith(str(tmp_path / "m.npz"))
    assert "worst 2 masked tokens" in run.out
    assert len((tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()) == report["n_masked"] + 1  # + header


@pytest.mark.parametrize("kind", KINDS)
def test_eval_partials_of_two_shards_merge_into_the_whole_run(evals, model_kinds, tmp_path, kind):
    # both backends are batch-invariant: shards at another batch size merge to the one run bit for bit (docs)
    argv = ["eval", "--model", model_kinds[kind], *EVAL]
    parts = [tmp_path / "p0.json", tmp_path / "p1.npz"]
    for i, part in enumerate(parts):
        shard = ok_json(*argv, "--batch-size", "3", "--shard", f"{i}/2", "--partial", part)
        assert shard["saved_partial"]["sha256"] == sha256(part)
    merged = ok_json("merge", *reversed(parts))
    whole = evals[kind]["report"]
    for key in ("cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy", "n_masked", "n_samples"):
        assert merged[key] == whole[key], key
    table = cli("merge", *parts)
    assert table.status == 0 and f"{whole['cross_entropy']:.4f} nats/token" in table.out


def test_eval_on_the_export_dir_with_backend_numpy_is_the_checkpoint_run(evals, model_kinds):
    report = ok_json("eval", "--model", model_kinds["export_dir"], "--backend", "numpy", *EVAL)
    assert report["provenance"]["model"]["backend"] == "numpy"
    assert report["cross_entropy"] == evals["checkpoint_dir"]["report"]["cross_entropy"]


# ----------------------------------------------------------------------------------------------------------- pppl
@pytest.fixture(scope="module")
def pppls(model_kinds, tmp_path_factory) -> dict[str, dict[str, Any]]:
    """{kind: pppl --json with --html, and the page's path}."""
    out = {}
    for kind in KINDS:
        html = tmp_path_factory.mktemp(f"pppl_{kind}") / "r.html"
        report = ok_json("pppl", "--model", model_kinds[kind], *PPPL, "--html", html)
        out[kind] = {"report": report, "html": html}
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_pppl_json_agrees_with_the_onnx_file_within_the_kinds_tolerance(pppls, kind):
    report, onnx = pppls[kind]["report"], pppls["onnx_file"]["report"]
    assert report["n_scored_tokens"] == onnx["n_scored_tokens"] > 0
    assert report["nll_per_token"] == pytest.approx(onnx["nll_per_token"], rel=rtol_between(kind), abs=0)
    assert report["provenance"]["model"]["path"] == report["model"]


@pytest.mark.parametrize("kind", KINDS)
def test_pppl_html_page_shows_the_json_figures(pppls, kind):
    report, metrics = pppls[kind]["report"], html_metrics(pppls[kind]["html"])
    assert report["html_file"] == str(pppls[kind]["html"])
    assert metrics["pseudo_perplexity"] == report["pseudo_perplexity"]


@pytest.mark.parametrize("kind", KINDS)
def test_pppl_table_names_the_model_and_its_figures(pppls, model_kinds, kind):
    run = cli("pppl", "--model", model_kinds[kind], *PPPL)
    assert (run.status, run.err) == (0, "")
    report = pppls[kind]["report"]
    assert f"model          {report['model']}\n" in run.out
    assert f"PPPL           {report['pseudo_perplexity']:.3f}\n" in run.out


@pytest.mark.parametrize("kind", KINDS)
def test_pppl_partials_of_two_shards_merge_into_the_whole_run(pppls, model_kinds, tmp_path, kind):
    # both backends are batch-invariant: shards at another --batch-tokens merge to the one run bit for bit
    argv = ["pppl", "--model", model_kinds[kind], *PPPL]
    parts = [tmp_path / "p0.npz", tmp_path / "p1.json"]
    for i, part in enumerate(parts):
        assert cli(*argv, "--batch-tokens", "1", "--shard", f"{i}/2", "--partial", part).status == 0
    merged = ok_json("merge", *parts)
    whole = pppls[kind]["report"]
    for key in ("pseudo_perplexity", "pseudo_log_likelihood", "n_scored_tokens"):
        assert merged[key] == whole[key], key
    table = cli("merge", *parts)
    assert table.status == 0 and f"PPPL           {whole['pseudo_perplexity']:.3f}\n" in table.out


# ----------------------------------------------------------------------------------------------- predict, generate
@pytest.mark.parametrize("kind", KINDS)
def test_predict_json_and_table_give_the_onnx_files_fillers(model_kinds, kind):
    result = ok_json("predict", "--model", model_kinds[kind], PROMPT)["result"]
    onnx = ok_json("predict", "--model", model_kinds["onnx_file"], PROMPT)["result"]
    assert result[0]["token_str"] == onnx[0]["token_str"] == "sat"
    if kind != "int8_dir":
        assert [c["token"] for c in result] == [c["token"] for c in onnx]
        assert [c["score"] for c in result] == pytest.approx([c["score"] for c in onnx],
                                                             abs=load_manifest()["tolerances"]["ort_logits_atol"])
    table = cli("predict", "--model", model_kinds[kind], PROMPT)
    assert table.status == 0 and table.out.splitlines()[1].split()[1:] == ["sat", "the", "cat", "sat", "on", "the",
                                                                           "mat."]


@pytest.mark.parametrize("kind", KINDS)
def test_generate_json_table_and_history_agree(model_kinds, tmp_path, kind):
    prompt = "the [MASK] sat on the [MASK]."
    history = tmp_path / "h.npz"
    report = ok_json("generate", "--model", model_kinds[kind], prompt, "--history", history)
    text = report["results"][0]["text"]
    assert "[MASK]" not in text and report["tokens_filled"] == 2
    assert report["history"] == {"path": str(history), "sha256": sha256(history)} and load_npz(history)
    if kind in FP32:
        onnx = ok_json("generate", "--model", model_kinds["onnx_file"], prompt)
        assert text == onnx["results"][0]["text"]
    table = cli("generate", "--model", model_kinds[kind], prompt)
    assert table.status == 0 and table.out.splitlines()[0].split(None, 1)[1] == text


# -------------------------------------------------------------------------------------------------------- compare
# (candidate, reference): every kind as the candidate, every kind that is not the same file as the reference
COMPARISONS = [("onnx_file", "checkpoint_dir"), ("export_dir", "checkpoint_dir"), ("checkpoint_dir", "onnx_file"),
               ("optimized_dir", "checkpoint_dir"), ("int8_dir", "checkpoint_dir"), ("optimized_dir", "onnx_file"),
               ("optimized_dir", "export_dir"), ("int8_dir", "optimized_dir")]


@pytest.mark.parametrize("candidate,reference", COMPARISONS)
def test_compare_json_html_and_table_agree_and_a_faithful_kind_passes(evals, model_kinds, tmp_path,
                                                                      candidate, reference):
    argv = ["compare", "--model", model_kinds[candidate], "--reference", model_kinds[reference], *EVAL,
            "--bootstrap", "100"]
    run = cli(*argv, "--json", "--html", tmp_path / "c.html")
    report = json.loads(run.out)
    assert run.status == {"PASS": 0, "AT_RISK": 0, "REGRESSION": 1}[report["verdict"]]
    assert report["n_masked"] == evals[candidate]["report"]["n_masked"]
    assert report["candidate"]["cross_entropy"] == pytest.approx(evals[candidate]["report"]["cross_entropy"],
                                                                 rel=rtol_between("checkpoint_dir"), abs=0)
    if candidate == "int8_dir":  # judged as the approximation it is
        assert report["profile"]["name"] == "lossy" and report["verdict"] in ("PASS", "AT_RISK")
    else:  # a float conversion of the same weights
        assert report["profile"]["name"] == "fidelity" and report["verdict"] == "PASS"
    metrics = html_metrics(tmp_path / "c.html")
    for key in ("delta_cross_entropy", "mean_kl", "max_abs_logit_diff", "n_masked"):
        assert metrics[key] == report[key], key
    assert metrics["candidate.cross_entropy"] == report["candidate"]["cross_entropy"]
    table = cli(*argv)
    assert table.status == run.status and f"verdict          {report['verdict']}" in table.out


def test_compare_an_export_against_the_checkpoint_beside_it_with_reference_backend_numpy(evals, model_kinds):
    export = model_kinds["export_dir"]
    run = cli("compare", "--model", export, "--reference", export, "--reference-backend", "numpy", *EVAL,
              "--bootstrap", "0", "--json")
    report = json.loads(run.out)
    assert run.status == 0 and report["verdict"] == "PASS" and report["settings"]["reference_kind"] == "numpy"
    assert report["reference"]["cross_entropy"] == evals["checkpoint_dir"]["report"]["cross_entropy"]


@pytest.mark.parametrize("candidate,reference", [("optimized_dir", "checkpoint_dir"), ("int8_dir", "onnx_file")])
def test_compare_partials_of_two_shards_merge_into_the_whole_comparison(model_kinds, tmp_path, candidate,
                                                                        reference):
    argv = ["compare", "--model", model_kinds[candidate], "--reference", model_kinds[reference], *EVAL,
            "--bootstrap", "0", "--batch-size", "1"]  # bit for bit on the NumPy backend too (docs)
    whole = ok_json(*argv)  # exit 0: PASS or AT_RISK
    parts = [tmp_path / "p0.json", tmp_path / "p1.npz"]
    for i, part in enumerate(parts):
        assert cli(*argv, "--shard", f"{i}/2", "--partial", part).status == 0
    merged = ok_json("merge", *parts)
    for key in ("verdict", "delta_cross_entropy", "mean_kl", "top1_agreement", "n_masked"):
        assert merged[key] == whole[key], key
    table = cli("merge", *parts)
    assert table.status == 0 and f"verdict          {whole['verdict']}" in table.out


# ------------------------------------------------------------------------------------------------------- optimize
@pytest.mark.parametrize("kind", ["onnx_file", "export_dir"])
def test_optimize_writes_a_model_that_scores_as_its_source(evals, model_kinds, tmp_path, kind):
    out = tmp_path / "fast"
    report = ok_json("optimize", model_kinds[kind], "-o", out)
    assert report["fp32_max_abs_diff"] <= load_manifest()["tolerances"]["ort_logits_atol"]
    scored = ok_json("eval", "--model", out, *EVAL)
    assert scored["cross_entropy"] == pytest.approx(evals[kind]["report"]["cross_entropy"],
                                                    rel=rtol_between("optimized_dir"), abs=0)
    table = cli("optimize", model_kinds[kind], "-o", tmp_path / "again")
    assert table.status == 0 and "max abs logit difference" in table.out


@pytest.mark.parametrize("kind,said", [("checkpoint_dir", "checkpoint directory (no model.onnx)"),
                                       ("optimized_dir", "optimized already"), ("int8_dir", "optimized already")])
def test_optimize_refuses_what_it_cannot_rewrite_in_one_line(model_kinds, tmp_path, kind, said):
    run = cli("optimize", model_kinds[kind], "-o", tmp_path / "out")
    assert run.status == 2 and run.err.startswith("fillmask-np: error: ") and run.err.count("\n") == 1
    assert said in run.err and not (tmp_path / "out").exists()
