"""``fillmask_np.distributed.evaluate`` on a real local Ray cluster, joined by address as a user would: the report
equals ``fillmask_np.evaluate``'s bit for bit (``to_dict()``) from a text file, a Dataset the user built, JSONL
and Parquet; an actor killed mid-run changes nothing; a worker that cannot load the model is one error line.

The cluster is the session's head node (``conftest.cluster``: ``ray start --head`` on a free port, its own temp dir,
2 CPUs), stopped at the end, exactly it.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from pathlib import Path

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import ray_missing

pytestmark = [pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing())), pytest.mark.slow]

BERT = GOLDEN / "models" / "bert"


def ray_evaluate(data, cluster, **options):
    import fillmask_np.distributed as fmd

    return fmd.evaluate(data, model=BERT, workers=2, address=cluster.address, progress=False, **options)


def test_the_golden_corpus_on_two_actors_is_evaluate_bit_for_bit(cluster, golden):
    expected = fm.evaluate(*golden, EVAL_TXT, seed=0)
    report = ray_evaluate(EVAL_TXT, cluster, seed=0, block_samples=16)
    assert report.to_dict() == expected.to_dict()
    assert report.n_empty == expected.n_empty > 0 and report.per_sample["position"][-1] > report.n_samples - 1


def test_a_dataset_the_user_built_with_a_limit_is_evaluate_bit_for_bit(cluster, golden):
    import ray

    texts = EVAL_TXT.read_text(encoding="utf-8").split("\n")
    expected = fm.evaluate(*golden, texts, seed=3, limit=100, whole_word=True)
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
    try:
        ds = ray.data.from_items([{"text": t} for t in texts], override_num_blocks=7)
        report = ray_evaluate(ds, cluster, seed=3, limit=100, whole_word=True, block_samples=24)
        assert ray.is_initialized()  # the user's connection is left open
    finally:
        ray.shutdown()
    assert report.to_dict() == expected.to_dict()


def test_jsonl_and_a_glob_of_parquet_shards_with_a_text_field_are_evaluate_bit_for_bit(cluster, golden, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = EVAL_TXT.read_text(encoding="utf-8").split("\n")[:60]
    texts[5] = "a line\u2028with a Unicode line separator\x0cand a form feed"  # read_text would split it
    jsonl = tmp_path / "corpus.jsonl"
    jsonl.write_text("\r\n".join("" if i == 9 else json.dumps({"body": t}) for i, t in enumerate(texts)),
                     encoding="utf-8")  # CRLF, a blank line
    expected = fm.evaluate(*golden, jsonl, text_field="body", seed=1)
    assert ray_evaluate(str(jsonl), cluster, text_field="body", seed=1, block_samples=8).to_dict() == expected.to_dict()
    for i, part in enumerate((texts[:25], texts[25:])):  # positions run on across the files, in the glob's order
        pq.write_table(pa.table({"body": part, "n": list(range(len(part)))}), tmp_path / f"part-{i}.parquet",
                       row_group_size=8)
    expected = fm.evaluate(*golden, texts, seed=1)
    report = ray_evaluate(str(tmp_path / "part-*.parquet"), cluster, text_field="body", seed=1, block_samples=8)
    assert report.to_dict() == expected.to_dict()


def test_an_actor_killed_mid_run_changes_nothing(cluster, golden, tmp_path, monkeypatch):
    from fillmask_np.distributed.actors import FAULT_ENV

    token = tmp_path / "killed"  # the first actor to create it exits its process on its second batch
    monkeypatch.setenv(FAULT_ENV, str(token))
    expected = fm.evaluate(*golden, EVAL_TXT, seed=0)
    report = ray_evaluate(EVAL_TXT, cluster, seed=0, block_samples=8)  # 20 blocks: the killed one had more to do
    assert token.exists()  # an actor did die with a block in flight
    assert report.to_dict() == expected.to_dict()


def test_a_block_that_kills_every_worker_that_scores_it_stops_the_run_in_one_line(cluster, monkeypatch):
    from fillmask_np.distributed.actors import POISON_ENV
    from fillmask_np.distributed.streaming import RETRIES

    monkeypatch.setenv(POISON_ENV, "5")  # every process given sample 5 dies, as if out of memory
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # retried RETRIES times, then an error, not a hang
        run = pool.submit(ray_evaluate, EVAL_TXT, cluster, seed=0, block_samples=4)
        with pytest.raises(fm.ModelError) as caught:
            run.result(timeout=180)
    message = str(caught.value)
    assert "\n" not in message and time.monotonic() - start < 180
    assert message.startswith(f"a Ray worker scoring with model {str(BERT)!r} failed: the process scoring items "
                              f"5-8 of the run died {RETRIES + 1} times")  # samples 4-7: the second block


def test_a_worker_that_cannot_load_the_model_is_one_error_line(cluster, tmp_path, monkeypatch):
    import shutil

    import fillmask_np.distributed.ray_eval as ray_eval

    broken = tmp_path / "broken"
    shutil.copytree(BERT, broken)
    (broken / "model.onnx").write_bytes(b"not an ONNX model")
    checked = ray_eval.driver_config  # the driver's check passes (as when only the workers lack the file) ...
    monkeypatch.setattr(ray_eval, "driver_config", lambda model, *rest: checked(Path(BERT), *rest))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # ... and the workers fail: an error, not a hang
        run = pool.submit(ray_eval.evaluate, EVAL_TXT, model=broken, workers=2, address=cluster.address,
                          progress=False)
        with pytest.raises(fm.ModelError) as caught:
            run.result(timeout=120)
    message = str(caught.value)
    assert "\n" not in message and time.monotonic() - start < 120
    assert message.startswith(f"a Ray worker scoring with model {str(broken)!r} failed: onnxruntime cannot load")
