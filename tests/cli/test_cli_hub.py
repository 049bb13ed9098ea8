"""``--model ORG/NAME[@REVISION]``: models by Hugging Face Hub id, fetched through ``huggingface_hub`` from a local
Hub server on 127.0.0.1 (``HF_ENDPOINT``) into a temporary cache (``HF_HOME``), then read offline from that
cache (``HF_HUB_OFFLINE=1``). No test touches the network. Each run is a fresh process: huggingface_hub reads
its environment when imported."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from helpers import EVAL_TXT, GOLDEN, REPO
from helpers.hub_server import PRIVATE_TOKEN, HubServer, golden_repos, hub_env, run_cli, run_python
from helpers.protein import PROTEIN_TXT
from helpers.ray_cluster import ray_missing

pytestmark = pytest.mark.cli

FIGURES = ("cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy", "n_masked", "n_tokens")


def _eval(env: dict[str, str], model: object, data: Path = EVAL_TXT, *extra: object) -> dict:
    run = run_cli(env, "eval", "--model", model, "--data", data, "--limit", 6, "--json", *extra)
    assert run.status == 0, run.err
    return json.loads(run.out)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    """(server, HF_HOME, online env): the golden repos served, fetched once into one cache by the first test."""
    home = tmp_path_factory.mktemp("hf_home")
    with HubServer(golden_repos()) as server:
        yield server, home, hub_env(home, server.url)


def test_eval_by_hub_id_gives_the_figures_of_the_same_model_loaded_from_its_folder(hub):
    server, _, env = hub
    by_id = _eval(env, "test-org/tiny-bert")
    local = _eval(env, GOLDEN / "models" / "bert")
    assert {k: by_id[k] for k in FIGURES} == {k: local[k] for k in FIGURES}
    assert by_id["provenance"]["model"]["backend"] == "onnx"  # the repo ships model.onnx: ONNX Runtime
    assert by_id["provenance"]["model"]["sha256"] == local["provenance"]["model"]["sha256"]


def test_provenance_records_the_repo_id_the_revision_and_the_commit(hub):
    server, _, env = hub
    report = _eval(env, "test-org/tiny-bert")
    commit = server.repos["test-org/tiny-bert"].commit
    assert report["provenance"]["model"]["hub"] == {"repo_id": "test-org/tiny-bert", "revision": "main",
                                                    "commit": commit}


def test_a_repo_with_an_onnx_export_fetches_it_and_not_the_safetensors_checkpoint(hub):
    server, _, env = hub
    _eval(env, "test-org/tiny-bert")
    fetched = {path.rsplit("/", 1)[-1] for method, path in server.requests
               if method == "GET" and path.startswith("/test-org/tiny-bert/resolve/")}
    assert "model.onnx" in fetched and "config.json" in fetched and "tokenizer.json" in fetched
    assert "model.safetensors" not in fetched


def test_an_onnx_folder_repo_reads_config_and_tokenizer_from_the_repo_root(hub):
    _, _, env = hub
    report = _eval(env, "test-org/tiny-bert-onnx")
    local = _eval(env, GOLDEN / "models" / "bert")
    assert report["model"].endswith("/onnx/model.onnx")
    assert {k: report[k] for k in FIGURES} == {k: local[k] for k in FIGURES}


def test_a_checkpoint_only_repo_runs_on_the_numpy_backend(hub):
    _, _, env = hub
    by_id = _eval(env, "test-org/tiny-esm", PROTEIN_TXT)
    local = _eval(env, GOLDEN / "models" / "esm", PROTEIN_TXT, "--backend", "numpy")
    assert by_id["provenance"]["model"]["backend"] == "numpy"
    assert {k: by_id[k] for k in FIGURES} == {k: local[k] for k in FIGURES}


def test_a_revision_pins_the_commit(hub):
    server, _, env = hub
    commit = server.repos["test-org/tiny-bert"].commit
    report = _eval(env, f"test-org/tiny-bert@{commit}")
    assert report["provenance"]["model"]["hub"]["commit"] == commit
    assert report["provenance"]["model"]["hub"]["revision"] == commit


def test_the_api_load_model_takes_a_hub_id_and_a_path(hub):
    server, _, env = hub
    code = ("import json, fillmask_np as fm; a = fm.load_model('test-org/tiny-esm'); "
            f"b = fm.load_model({str(GOLDEN / 'models' / 'esm')!r}, backend='numpy'); "
            "print(json.dumps([a.describe().get('hub'), a.describe()['sha256'] == b.describe()['sha256'], "
            "'hub' in b.describe()]))")
    hub_info, same_weights, local_has_hub = json.loads(run_python(env, code))
    assert hub_info == {"repo_id": "test-org/tiny-esm", "revision": "main",
                        "commit": server.repos["test-org/tiny-esm"].commit}
    assert same_weights and not local_has_hub


def test_offline_the_cache_that_huggingface_hub_wrote_is_read_without_a_server(hub, tmp_path: Path):
    server, home, env = hub
    online = _eval(env, "test-org/tiny-bert")
    offline_env = hub_env(home, None, offline=True)  # the endpoint is a closed port: nothing may be asked
    offline = _eval(offline_env, "test-org/tiny-bert")
    assert {k: offline[k] for k in FIGURES} == {k: online[k] for k in FIGURES}
    assert offline["provenance"]["model"]["hub"] == online["provenance"]["model"]["hub"]


def test_a_local_folder_named_like_a_hub_id_wins_over_the_hub(hub, tmp_path: Path):
    server, _, env = hub
    (tmp_path / "test-org").mkdir()
    (tmp_path / "test-org" / "tiny-bert").symlink_to(GOLDEN / "models" / "esm", target_is_directory=True)
    before = len(server.requests)
    run = run_cli(env, "eval", "--model", "test-org/tiny-bert", "--data", PROTEIN_TXT, "--limit", 2, "--json",
                  cwd=tmp_path)
    assert run.status == 0, run.err
    report = json.loads(run.out)
    assert report["model"] == "test-org/tiny-bert/model.onnx" and "hub" not in report["provenance"]["model"]
    assert server.requests[before:] == []


def test_the_docs_hub_commands_run_as_printed_against_a_local_hub(hub, tmp_path: Path):
    server, _, _ = hub
    readme = (REPO / "docs" / "backends.md").read_text(encoding="utf-8").split("## Models from the Hub", 1)[1]
    lines = readme.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(lines) == 2
    env = hub_env(tmp_path, server.url)  # an empty cache: the first command fetches, the second reads offline
    for line in lines:
        words = shlex.split(line.replace("google-bert/bert-base-uncased", "test-org/tiny-bert"))
        settings = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
        assert words[len(settings)] == "fillmask-np"
        before = len(server.requests)
        run = run_cli({**env, **settings}, *words[len(settings) + 1:])
        assert run.status == 0, (line, run.err)
        assert (server.requests[before:] == []) == ("HF_HUB_OFFLINE" in settings)  # offline: not one request
        assert json.loads(run.out)["provenance"]["model"]["hub"]["repo_id"] == "test-org/tiny-bert"


def test_optimize_takes_a_hub_id_and_writes_the_repo_export_faster(hub, tmp_path: Path):
    _, _, env = hub
    run = run_cli(env, "optimize", "test-org/tiny-bert", "-o", tmp_path / "fast", "--json")
    assert run.status == 0, run.err
    assert (tmp_path / "fast" / "model.onnx").is_file() and (tmp_path / "fast" / "tokenizer.json").is_file()
    local = _eval(env, GOLDEN / "models" / "bert")
    optimized = _eval(env, tmp_path / "fast")
    assert abs(optimized["cross_entropy"] - local["cross_entropy"]) < 1e-5


def test_optimize_of_an_onnx_folder_repo_copies_its_root_config_and_tokenizer(hub, tmp_path: Path):
    _, _, env = hub
    run = run_cli(env, "optimize", "test-org/tiny-bert-onnx", "-o", tmp_path / "fast")
    assert run.status == 0, run.err
    assert sorted(p.name for p in (tmp_path / "fast").iterdir()) == ["config.json", "model.onnx", "tokenizer.json",
                                                                     "tokenizer_config.json", "vocab.txt"]
    local = _eval(env, GOLDEN / "models" / "bert")
    assert abs(_eval(env, tmp_path / "fast")["cross_entropy"] - local["cross_entropy"]) < 1e-5


@pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing()))
def test_eval_on_a_local_ray_fetches_the_hub_model_once_on_the_driver(hub):
    # --backend numpy on a repo with both: its safetensors are fetched; the NumPy backend is batch-invariant
    _, _, env = hub
    argv = ("--backend", "numpy", "--batch-size", "5")
    local = _eval(env, GOLDEN / "models" / "bert", EVAL_TXT, *argv)
    on_ray = _eval(env, "test-org/tiny-bert", EVAL_TXT, *argv, "--ray", "local", "--workers", "1")
    assert {k: on_ray[k] for k in FIGURES} == {k: local[k] for k in FIGURES}
    assert on_ray["provenance"]["model"]["backend"] == "numpy"
    assert on_ray["provenance"]["model"]["hub"]["repo_id"] == "test-org/tiny-bert"


def test_hf_token_opens_a_private_repo_that_without_it_is_not_found(hub, tmp_path: Path):
    server, _, _ = hub
    env = hub_env(tmp_path, server.url)
    refused = run_cli(env, "eval", "--model", "test-org/private-esm", "--data", PROTEIN_TXT)
    assert refused.status == 2 and "HF_TOKEN" in refused.err and "Traceback" not in refused.err
    report = _eval({**env, "HF_TOKEN": PRIVATE_TOKEN}, "test-org/private-esm", PROTEIN_TXT)
    assert report["provenance"]["model"]["hub"]["repo_id"] == "test-org/private-esm"


def test_hf_hub_cache_places_the_downloaded_files(hub, tmp_path: Path):
    server, _, _ = hub
    env = {**hub_env(tmp_path / "home", server.url), "HF_HUB_CACHE": str(tmp_path / "cache")}
    report = _eval(env, "test-org/tiny-esm", PROTEIN_TXT)
    commit = report["provenance"]["model"]["hub"]["commit"]
    snapshot = tmp_path / "cache" / "models--test-org--tiny-esm" / "snapshots" / commit
    assert report["model"] == str(snapshot) and (snapshot / "model.safetensors").is_file()
    assert not (tmp_path / "home" / "hub").exists()


@pytest.mark.parametrize("verb, extra", [
    ("predict", ["The cat sat on the [MASK].", "--top-k", "3"]),
    ("pppl", ["--data", EVAL_TXT, "--limit", 3]),
])
def test_other_verbs_take_a_hub_id_and_print_what_the_folder_gives(hub, verb: str, extra: list):
    _, _, env = hub
    runs = [run_cli(env, verb, "--model", model, *extra, "--json")
            for model in ("test-org/tiny-bert", GOLDEN / "models" / "bert")]
    assert [r.status for r in runs] == [0, 0], [r.err for r in runs]
    by_id, local = (json.loads(r.out) for r in runs)
    strip = ("model", "tokenizer", "provenance")
    assert {k: v for k, v in by_id.items() if k not in strip} == {k: v for k, v in local.items() if k not in strip}


def test_compare_takes_a_hub_id_as_the_reference(hub):
    _, _, env = hub
    run = run_cli(env, "compare", "--model", GOLDEN / "models" / "bert", "--reference", "test-org/tiny-bert-onnx",
                  "--data", EVAL_TXT, "--limit", 4, "--json")
    assert run.status == 0, run.err
    report = json.loads(run.out)
    assert report["verdict"] == "PASS" and report["max_abs_logit_diff"] == 0.0
