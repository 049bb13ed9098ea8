"""`fillmask-np eval|pppl --ray local --workers 2`: a Ray started for the run (and stopped by it) prints the
one-process run's JSON report, every field equal; its provenance adds the nodes that scored blocks (`ray`)."""

from __future__ import annotations

import json

import pytest

from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import ray_missing

pytestmark = [pytest.mark.cli, pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing()))]


def test_eval_on_a_local_ray_prints_the_one_process_report(capsys):
    argv = ["eval", "--model", str(GOLDEN / "models" / "roberta"), "--data", str(EVAL_TXT), "--seed", "5", "--json"]
    whole, on_ray = both_runs(capsys, argv, "--workers", "2", "--batch-size", "16")
    import ray

    assert not ray.is_initialized()  # the Ray this run started is stopped
    assert ray_nodes(on_ray) == [on_ray["n_samples"]]
    assert on_ray == whole


def test_a_checkpoint_on_a_local_ray_is_the_one_process_run(capsys):
    # the NumPy backend is batch-invariant: bit for bit at any batch size (docs)
    argv = ["eval", "--model", str(GOLDEN / "models" / "bert"), "--backend", "numpy", "--data", str(EVAL_TXT),
            "--limit", "24", "--batch-size", "5", "--json"]
    whole, on_ray = both_runs(capsys, argv, "--workers", "1")
    assert ray_nodes(on_ray) == [24]
    assert on_ray == whole and whole["provenance"]["model"]["backend"] == "numpy"


@pytest.mark.parametrize("backend", ["onnx", "numpy"])  # the export and the checkpoint of one model folder
def test_pppl_on_a_local_ray_prints_the_one_process_report(capsys, backend):
    argv = ["pppl", "--model", str(GOLDEN / "models" / "bert"), "--backend", backend, "--data", str(EVAL_TXT),
            "--limit", "40", "--variant", "within_word_l2r", "--json"]
    whole, on_ray = both_runs(capsys, argv)
    assert ray_nodes(on_ray) == [40]
    assert on_ray == whole and whole["provenance"]["model"]["backend"] == backend


def both_runs(capsys, argv: list[str], *ray_options: str) -> tuple[dict, dict]:
    """The JSON of ``argv`` run in one process, and with ``--ray local`` (2 workers unless ``ray_options`` say)."""
    assert main(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main([*argv, "--ray", "local", *(ray_options or ("--workers", "2"))]) == 0
    return whole, json.loads(capsys.readouterr().out)


def ray_nodes(report: dict) -> list[int]:
    """The sample counts of the nodes a Ray run's JSON names, taken out of its provenance (the rest is the
    one-process run's)."""
    record = report["provenance"].pop("ray")
    assert all(len(node["node_id"]) == 56 for node in record["nodes"])  # Ray's node ids: 28 bytes in hex
    return [node["samples"] for node in record["nodes"]]


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_pairs_on_a_local_ray_prints_the_one_process_report(capsys, backend):
    argv = ["pairs", "--model", str(GOLDEN / "models" / "bert"), "--backend", backend, "--data",
            str(GOLDEN / "text" / "minimal_pairs.jsonl"), "--group-field", "UID", "--json"]
    whole, on_ray = both_runs(capsys, argv)
    assert ray_nodes(on_ray) == [12]
    assert on_ray == whole and whole["provenance"]["model"]["backend"] == backend


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_variants_on_a_local_ray_prints_the_one_process_scores(capsys, tmp_path, backend):
    wild = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
    table = tmp_path / "dms.csv"
    table.write_text("mutant,DMS_score\nA2T,0.5\nR13T,-1.25\nA2T:R13T,2\nM1W,0.75\n", encoding="utf-8")
    argv = ["variants", "--model", str(GOLDEN / "models" / "esm"), "--backend", backend, "--sequence", wild,
            "--mutations", str(table), "--strategy", "masked-marginals", "--json"]
    whole, on_ray = both_runs(capsys, argv)
    assert ray_nodes(on_ray) == [4]
    assert on_ray["n_forward_rows"] == whole["n_forward_rows"]  # one block: the same rows
    assert on_ray == whole and whole["provenance"]["model"]["backend"] == backend


def test_compare_on_a_local_ray_prints_the_one_process_report(capsys):
    bert = str(GOLDEN / "models" / "bert")
    argv = ["compare", "--model", bert, "--reference", bert, "--reference-backend", "numpy", "--data", str(EVAL_TXT),
            "--limit", "60", "--seed", "2", "--bootstrap", "300", "--json"]
    whole, on_ray = both_runs(capsys, argv)
    assert ray_nodes(on_ray) == [60]
    assert on_ray == whole
