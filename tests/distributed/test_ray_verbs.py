"""Every corpus verb on a real local Ray cluster (``fillmask_np.distributed``'s streaming driver), joined by address:
the report equals the one-process verb's bit for bit (``to_dict()``: figures, per-sample rows, per-token records,
worst tokens); ``report.ray`` names the nodes that scored blocks with their sample counts and never had more than its
bound of blocks out; a Ray run's partial merges with a hand-made shard's into the one-process report.

The cluster is the session's head node (``conftest.cluster``, 2 CPUs), stopped at the end, exactly it.
"""

from __future__ import annotations

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import ray_missing

pytestmark = [pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing())), pytest.mark.slow]

BERT = GOLDEN / "models" / "bert"


def on_ray(verb, data, cluster, **options):
    import fillmask_np.distributed as fmd

    return getattr(fmd, verb)(data, model=BERT, workers=2, address=cluster.address, progress=False, **options)


def assert_ray_record(report, *, window):
    record = report.ray
    n_samples = report.candidate.n_samples if isinstance(report, fm.CompareReport) else report.n_samples
    assert sum(node["samples"] for node in record["nodes"]) == record["samples"] == n_samples
    assert all(node["node_id"] and node["blocks"] > 0 for node in record["nodes"])
    assert record["window"] == window and 1 <= record["peak_in_flight"] <= window < record["blocks"]


def test_pppl_with_token_records_is_the_one_process_run_bit_for_bit(cluster, golden):
    expected = fm.pseudo_log_likelihood(*golden, EVAL_TXT, variant="within_word_l2r", return_tokens=True)
    report = on_ray("pseudo_log_likelihood", EVAL_TXT, cluster, variant="within_word_l2r", return_tokens=True,
                    block_samples=10, max_in_flight=3)
    assert report.to_dict() == expected.to_dict()
    assert report.n_empty == expected.n_empty > 0 and len(report.tokens["sample"]) == report.n_scored_tokens
    assert_ray_record(report, window=2)  # max_in_flight=3, but one block per actor: 2 out at most


def test_eval_with_token_records_and_worst_tokens_is_the_one_process_run_bit_for_bit(cluster, golden):
    options = dict(seed=4, limit=120, whole_word=True, return_tokens=True, return_top5=True, worst=6)
    expected = fm.evaluate(*golden, EVAL_TXT, **options)
    report = on_ray("evaluate", EVAL_TXT, cluster, block_samples=16, **options)
    assert report.to_dict() == expected.to_dict()
    assert len(report.worst_tokens) == 6 and report.tokens["top5_ids"].shape == (report.n_masked, 5)
    assert_ray_record(report, window=2)  # the default: one block per worker


def test_eval_of_long_samples_in_windows_is_the_one_process_run_bit_for_bit(cluster, golden):
    options = dict(seed=1, limit=60, max_length=16, long="window", stride=6)
    expected = fm.evaluate(*golden, EVAL_TXT, **options)
    report = on_ray("evaluate", EVAL_TXT, cluster, block_samples=8, **options)
    assert report.to_dict() == expected.to_dict() and report.settings["long"] == "window"


def test_a_ray_shards_partial_merges_with_a_hand_made_shard_into_the_one_process_run(cluster, golden, tmp_path):
    expected = fm.pseudo_log_likelihood(*golden, EVAL_TXT, limit=90)
    fm.pseudo_log_likelihood(*golden, EVAL_TXT, limit=90, shard="1/2", partial=tmp_path / "by-hand.json")
    ray_half = on_ray("pseudo_log_likelihood", str(EVAL_TXT), cluster, limit=90, shard="0/2",
                      partial=tmp_path / "ray.json", block_samples=8)
    assert ray_half.settings["shard"] == "0/2" and ray_half.saved_partial["path"].endswith("ray.json")
    merged = fm.merge([tmp_path / "ray.json", tmp_path / "by-hand.json"])
    assert merged.to_dict() == expected.to_dict()


def test_pairs_with_groups_are_the_one_process_run_bit_for_bit(cluster, golden):
    pairs = GOLDEN / "text" / "minimal_pairs.jsonl"
    expected = fm.score_pairs(*golden, pairs, group_field="UID", variant="within_word_l2r")
    report = on_ray("score_pairs", pairs, cluster, group_field="UID", variant="within_word_l2r", block_pairs=2,
                    max_in_flight=2)
    assert report.to_dict() == expected.to_dict() and report.n_pairs == 12
    assert report.ray["samples"] == 12 and report.ray["peak_in_flight"] <= 2 < report.ray["blocks"]


def test_variants_scores_and_correlation_are_the_one_process_runs_bit_for_bit(cluster):
    import numpy as np

    import fillmask_np.distributed as fmd

    esm = GOLDEN / "models" / "esm"
    wild = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]  # 66 residues
    mutations = [f"{wild[p]}{p + 1}{a}" for p in range(0, len(wild), 3) for a in "ACDEF" if a != wild[p]]
    mutations.append(f"{mutations[0][:-1]}W:{mutations[-1]}")  # a double mutant spanning two blocks' positions
    targets = np.random.default_rng(0).normal(size=len(mutations))
    model = (fm.OnnxMaskedLM(esm / "model.onnx"), fm.Tokenizer.from_dir(esm))
    expected = fm.score_variants(*model, wild, mutations, strategy="masked-marginals", targets=targets,
                                 max_length=40)
    report = fmd.score_variants(wild, mutations, model=esm, strategy="masked-marginals", targets=targets,
                                max_length=40, workers=2, block_mutations=17, address=cluster.address, progress=False)
    ours, theirs = report.to_dict(), expected.to_dict()
    # each block runs the masked rows of its own positions: a position two blocks share runs twice
    assert ours.pop("n_forward_rows") >= theirs.pop("n_forward_rows")
    assert ours == theirs and report.spearman is not None and report.ray["samples"] == len(mutations)


def test_a_ray_variants_shards_partial_merges_with_a_hand_made_shard(cluster, tmp_path):
    import fillmask_np.distributed as fmd

    esm = GOLDEN / "models" / "esm"
    wild = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]
    mutations = [f"{wild[p]}{p + 1}{a}" for p in range(0, 30, 2) for a in "DEW" if a != wild[p]]
    targets = [float(k % 7) for k in range(len(mutations))]
    model = (fm.OnnxMaskedLM(esm / "model.onnx"), fm.Tokenizer.from_dir(esm))
    expected = fm.score_variants(*model, wild, mutations, targets=targets)
    fm.score_variants(*model, wild, mutations, targets=targets, shard="1/2", partial=tmp_path / "by-hand.json")
    fmd.score_variants(wild, mutations, model=esm, targets=targets, shard="0/2", partial=tmp_path / "ray.json",
                       block_mutations=5, address=cluster.address, progress=False)
    merged = fm.merge([tmp_path / "ray.json", tmp_path / "by-hand.json"]).to_dict()
    theirs = expected.to_dict()
    assert merged.pop("n_forward_rows") >= theirs.pop("n_forward_rows")
    assert merged == theirs


def test_compare_with_its_bootstrap_interval_is_the_one_process_run_and_its_partial_merges(cluster, golden,
                                                                                          tmp_path):
    from fillmask_np.runtime import open_model

    reference = open_model(BERT, backend="numpy")  # the checkpoint beside the ONNX export
    options = dict(seed=3, limit=80, bootstrap=300)
    expected = fm.compare(golden[0], reference, golden[1], EVAL_TXT, **options)
    report = on_ray("compare", EVAL_TXT, cluster, reference=BERT, reference_backend="numpy", block_samples=16,
                    **options)
    assert report.to_dict() == expected.to_dict() and report.delta_ci95 == expected.delta_ci95
    assert_ray_record(report, window=2)  # the default: one block per worker
    fm.compare(golden[0], reference, golden[1], EVAL_TXT, shard="1/2", partial=tmp_path / "by-hand.npz", **options)
    on_ray("compare", str(EVAL_TXT), cluster, reference=BERT, reference_backend="numpy", shard="0/2",
           partial=tmp_path / "ray.npz", block_samples=16, **options)
    assert fm.merge([tmp_path / "ray.npz", tmp_path / "by-hand.npz"]).to_dict() == expected.to_dict()
