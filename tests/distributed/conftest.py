"""The Ray tests' shared fixtures: one head node for the whole session (``helpers.ray_cluster.RayHead``: ``ray start
--head`` on a free port, its own temp dir, 2 CPUs, stopped at the end, exactly it), joined by address as a user would,
and the golden BERT export opened for the one-process runs the Ray reports are compared with."""

from __future__ import annotations

import pytest

import fillmask_np as fm
from helpers import GOLDEN
from helpers.ray_cluster import RayHead

BERT = GOLDEN / "models" / "bert"


@pytest.fixture(scope="session")
def cluster():
    head = RayHead.start(num_cpus=2)
    yield head
    head.stop()


@pytest.fixture(scope="session")
def golden():
    from fillmask_np.runtime import open_model

    return open_model(BERT), fm.Tokenizer.from_dir(BERT)
