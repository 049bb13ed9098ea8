"""The public API is the top level plus ``fillmask_np.distributed``, recorded in ``tests/public_api.txt``: a change
to a public name or signature fails here until the snapshot is rewritten on purpose
(``python tests/helpers/api_snapshot.py --write``), so that it shows in review. Stage ``__init__``s list only
what another stage uses."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from helpers import REPO
from helpers.api_snapshot import SNAPSHOT, WRITE_TO, describe, snapshot
from helpers.stage_exports import imported_names, listed_names, stage_users, stages

REWRITE = "python tests/helpers/api_snapshot.py --write"


def test_the_public_api_matches_its_committed_snapshot():
    assert snapshot() == SNAPSHOT.read_text(encoding="utf-8"), (
        f"the public API changed; if that is deliberate, run `{REWRITE}` and commit tests/public_api.txt")


def test_the_readme_rewrite_command_writes_the_snapshot_as_committed(tmp_path):
    assert f"`{REWRITE}`" in (REPO / "README.md").read_text(encoding="utf-8")
    target = tmp_path / "public_api.txt"
    words = shlex.split(REWRITE)
    subprocess.run([sys.executable, *words[1:]], cwd=REPO, env={**os.environ, WRITE_TO: str(target)}, check=True)
    assert target.read_text(encoding="utf-8") == SNAPSHOT.read_text(encoding="utf-8")


def test_the_snapshot_records_a_signature_change():
    def score(texts: list[str], *, seed: int = 0) -> float:
        """A public-looking function."""
        return 0.0

    def score_changed(texts: list[str], *, seed: int = 1) -> float:
        """The same with another default."""
        return 0.0

    assert describe("score", score) != describe("score", score_changed)


def test_the_snapshot_records_every_public_name_of_both_modules():
    import fillmask_np as fm
    import fillmask_np.distributed as fmd

    text = SNAPSHOT.read_text(encoding="utf-8")
    for name in [*fm.__all__, *fmd.__all__]:
        assert any(line.split("(")[0].split(":")[0].split()[-1] == name for line in text.splitlines()
                   if line and not line.startswith((" ", "#"))), name


def test_importing_the_distributed_api_needs_no_ray():
    code = ("import sys; sys.modules['ray'] = None\n"  # None in sys.modules: any `import ray` raises ImportError
            "import fillmask_np.distributed as fmd\n"
            "assert callable(fmd.evaluate)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("stage", stages())
def test_a_stage_init_lists_only_what_another_stage_uses(stage):
    unused = sorted(set(listed_names(stage)) - stage_users()[stage])
    assert unused == [], (f"fillmask_np/{stage}/__init__.py lists {unused}, which no other stage imports: drop "
                          "them (tests import them from their defining module)")


@pytest.mark.parametrize("stage", stages())
def test_a_stage_init_imports_only_what_it_lists(stage):
    assert imported_names(stage) == set(listed_names(stage))
