"""`fillmask-np eval --ray local --workers 2`: a Ray started for the run (and stopped by it) prints the one-process
run's JSON report, every field equal."""

from __future__ import annotations

import json

import pytest

from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import ray_missing

pytestmark = [pytest.mark.cli, pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing()))]


def test_eval_on_a_local_ray_prints_the_one_process_report(capsys):
    argv = ["eval", "--model", str(GOLDEN / "models" / "roberta"), "--data", str(EVAL_TXT), "--seed", "5", "--json"]
    assert main(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main([*argv, "--ray", "local", "--workers", "2", "--batch-size", "16"]) == 0
    on_ray = json.loads(capsys.readouterr().out)
    import ray

    assert not ray.is_initialized()  # the Ray this run started is stopped
    assert on_ray == whole


def test_a_checkpoint_on_a_local_ray_is_the_one_process_run(capsys):
    # the NumPy backend is batch-invariant: bit for bit at any batch size (docs)
    argv = ["eval", "--model", str(GOLDEN / "models" / "bert"), "--backend", "numpy", "--data", str(EVAL_TXT),
            "--limit", "24", "--batch-size", "5", "--json"]
    assert main(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main([*argv, "--ray", "local", "--workers", "1"]) == 0
    on_ray = json.loads(capsys.readouterr().out)
    assert on_ray == whole and whole["provenance"]["model"]["backend"] == "numpy"
