"""Bad-input rows for models by Hub id (``--model ORG/NAME[@REVISION]`` / ``fm.load_model("ORG/NAME")``), against
a local Hub server on 127.0.0.1 (``HF_ENDPOINT``) and an empty temporary cache; no test touches the network.

CLI: exit 2 with one ``fillmask-np: error: ...`` line and no traceback. API: a ``FillMaskError`` subclass whose
one-line message names the bad value. Each run is a fresh process: huggingface_hub reads its environment when
imported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import EVAL_TXT
from helpers.hub_server import HubServer, golden_repos, hub_env, run_cli, run_python

# (case id, --model value, the Hub: "served", "offline" (HF_HUB_OFFLINE=1) or "unreachable" (a closed port),
#  fragments the one line must contain, the API's error class)
ROWS = [
    ("repo-not-found", "test-org/no-such-model", "served",
     ["'test-org/no-such-model' is no local path and no model repo on the Hub", "check the spelling"],
     "InputFileError"),
    ("gated-repo-without-a-token", "test-org/gated-bert", "served",
     ["'test-org/gated-bert' is gated", "hf auth login", "HF_TOKEN"], "InputFileError"),
    ("revision-not-found", "test-org/tiny-bert@no-such-branch", "served",
     ["has no revision 'no-such-branch'", "test-org/tiny-bert@main"], "InputFileError"),
    ("offline-and-not-cached", "test-org/tiny-bert", "offline",
     ["'test-org/tiny-bert' is not in the Hugging Face cache", "HF_HUB_OFFLINE", "hf download test-org/tiny-bert"],
     "InputFileError"),
    ("hub-unreachable-and-not-cached", "test-org/tiny-bert", "unreachable",
     ["'test-org/tiny-bert' is not in the Hugging Face cache", "no network", "hf download test-org/tiny-bert"],
     "InputFileError"),
    ("only-pytorch-model-bin", "test-org/bin-only", "served",
     ["'test-org/bin-only' ships only pytorch_model.bin", "save_pretrained", "optimum-cli export onnx"],
     "ModelError"),
]


@pytest.fixture(scope="module")
def hub():
    """The golden repos, served on 127.0.0.1 for this module."""
    with HubServer(golden_repos()) as server:
        yield server


def _env(hub: HubServer, home: Path, where: str) -> dict[str, str]:
    """The environment of a run with an empty cache in ``home`` and the Hub ``where`` (see ROWS)."""
    return hub_env(home, None if where == "unreachable" else hub.url, offline=where == "offline")


@pytest.mark.cli
@pytest.mark.parametrize("model, where, fragments", [r[1:4] for r in ROWS], ids=[r[0] for r in ROWS])
def test_cli_row(hub, tmp_path: Path, model: str, where: str, fragments: list[str]):
    run = run_cli(_env(hub, tmp_path, where), "eval", "--model", model, "--data", EVAL_TXT)
    errors = [line for line in run.err.splitlines() if line.startswith("fillmask-np: error:")]
    assert run.status == 2 and len(errors) == 1 and "Traceback" not in run.err, (run.status, run.err)
    assert all(fragment in errors[0] for fragment in fragments), errors[0]


@pytest.mark.parametrize("model, where, fragments, kind", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_api_row(hub, tmp_path: Path, model: str, where: str, fragments: list[str], kind: str):
    code = ("import json, fillmask_np as fm\n"
            f"try:\n    fm.load_model({model!r})\nexcept fm.FillMaskError as exc:\n"
            "    print(json.dumps([type(exc).__name__, str(exc)]))\n")
    name, message = json.loads(run_python(_env(hub, tmp_path, where), code))
    assert name == kind and "\n" not in message
    assert all(fragment in message for fragment in fragments), message


def test_backend_onnx_on_a_checkpoint_only_repo_says_to_drop_it(hub, tmp_path: Path):
    run = run_cli(hub_env(tmp_path, hub.url), "eval", "--model", "test-org/tiny-esm", "--backend", "onnx")
    assert run.status == 2 and "Traceback" not in run.err
    assert "'test-org/tiny-esm' ships no ONNX export" in run.err and "drop --backend onnx" in run.err
