"""Across nodes, really: a head node and a second node joined to it by address (``helpers.ray_cluster.RayCluster``:
``ray start --head --num-cpus 1`` and ``ray start --address HEAD --num-cpus 1``, each with its own temp dir, on free
ports, in its own session), started once for this module. ``fillmask_np.distributed.pseudo_log_likelihood`` with 2
workers scores blocks on both nodes (``report.ray`` lists them with their sample counts) and its report equals
``fillmask_np.pseudo_log_likelihood``'s bit for bit; an actor killed mid-run changes nothing; ``stop`` ends exactly
the processes of both nodes, by pid.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import RayCluster, alive, ray_missing

pytestmark = [pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing())), pytest.mark.slow]

BERT = GOLDEN / "models" / "bert"


@pytest.fixture(scope="module")
def two_nodes():
    cluster = RayCluster.start(nodes=2, cpus_per_node=1)
    yield cluster
    cluster.stop()  # again after test_stop_ends_exactly_the_processes_of_both_nodes: then there is nothing left


@pytest.fixture(scope="module")
def one_process(golden):  # conftest's golden BERT, opened in this process
    return fm.pseudo_log_likelihood(*golden, EVAL_TXT)


def ray_pppl(two_nodes, **options):
    import fillmask_np.distributed as fmd

    return fmd.pseudo_log_likelihood(EVAL_TXT, model=BERT, workers=2, address=two_nodes.address, progress=False,
                                     block_samples=8, **options)  # 20 blocks of the 153 samples


def test_the_second_node_joined_the_head_by_address(two_nodes):
    nodes = two_nodes.head.alive_nodes()  # ray.nodes(): node-manager port -> node id, alive ones
    assert sorted(nodes.values()) == sorted(node.node_id for node in two_nodes.nodes)
    assert len(set(nodes.values())) == 2
    assert set(two_nodes.head.pids()).isdisjoint(two_nodes.others[0].pids())  # two nodes, each its own session


def test_pppl_on_two_nodes_is_the_one_process_report_and_both_nodes_scored(two_nodes, one_process):
    report = ray_pppl(two_nodes)
    assert report.to_dict() == one_process.to_dict()  # report.ray, where it ran, is not in it
    nodes = report.ray["nodes"]
    assert sorted(n["node_id"] for n in nodes) == sorted(node.node_id for node in two_nodes.nodes)
    assert all(n["samples"] > 0 for n in nodes)
    assert sum(n["samples"] for n in nodes) == one_process.n_samples == 153


def test_an_actor_killed_mid_run_changes_nothing(two_nodes, one_process, tmp_path, monkeypatch):
    from fillmask_np.distributed.actors import FAULT_ENV

    token = tmp_path / "killed"  # the first actor to create it exits its process on its second block
    monkeypatch.setenv(FAULT_ENV, str(token))
    report = ray_pppl(two_nodes)
    assert token.exists()  # an actor did die with a block in flight
    assert report.to_dict() == one_process.to_dict()  # report.ray, where it ran, is not in it
    assert sum(n["samples"] for n in report.ray["nodes"]) == 153  # its block counted once


def test_stop_ends_exactly_the_processes_of_both_nodes(two_nodes):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        started = {node.process.pid: node.pids() for node in two_nodes.nodes}  # ray start, GCS, raylets, workers
        assert all(len(pids) > 1 and leader in pids for leader, pids in started.items())
        two_nodes.stop()
        assert alive([pid for pids in started.values() for pid in pids]) == []
        assert two_nodes.pids() == [] and alive([bystander.pid]) == [bystander.pid]  # nothing else was touched
    finally:
        bystander.send_signal(signal.SIGKILL)
        bystander.wait()
