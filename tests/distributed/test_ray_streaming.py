"""The streaming driver's bound, on a real local Ray: a corpus larger than Ray's whole object store (90 MB of 1 MB
lines, an 80 MB store) streams through it with at most ``max_in_flight`` blocks out (the driver's own count, which
fails this test when the bound is lifted: every block out at once), nothing spills to the spill directory this test
watches, and the report is the one-process run's.
"""

from __future__ import annotations

import json

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN
from helpers.ray_cluster import ray_missing

pytestmark = [pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing())), pytest.mark.slow]

BERT = GOLDEN / "models" / "bert"
LINE_BYTES = 1_000_000
LINES = 90
STORE_BYTES = 80 * 2**20


def test_a_corpus_larger_than_the_object_store_streams_through_it_without_spilling(tmp_path):
    import ray

    import fillmask_np.distributed as fmd

    text = " ".join(line for line in EVAL_TXT.read_text(encoding="utf-8").split("\n") if line.strip())
    line = (text + " ") * (LINE_BYTES // len(text) + 1)
    corpus = tmp_path / "long-lines.txt"
    corpus.write_text("\n".join(line[k:k + LINE_BYTES] for k in range(LINES)), encoding="utf-8")  # 90 MB
    spill = tmp_path / "spill"
    spill.mkdir()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=STORE_BYTES,
             _system_config={"object_spilling_config": json.dumps(
                 {"type": "filesystem", "params": {"directory_path": str(spill)}})})
    try:
        report = fmd.evaluate(str(corpus), model=BERT, workers=2, max_length=8, seed=0, block_samples=1,
                              max_in_flight=3, progress=False)
    finally:
        ray.shutdown()
    assert corpus.stat().st_size > STORE_BYTES
    assert [p for p in spill.rglob("*") if p.is_file()] == []  # nothing spilled
    assert report.ray["blocks"] == LINES and 1 <= report.ray["peak_in_flight"] <= 3
    model = fm.OnnxMaskedLM(BERT / "model.onnx")
    assert report.to_dict() == fm.evaluate(model, fm.Tokenizer.from_dir(BERT), corpus, max_length=8,
                                           seed=0).to_dict()
