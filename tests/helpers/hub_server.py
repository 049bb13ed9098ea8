"""A local Hugging Face Hub on 127.0.0.1: the few endpoints ``huggingface_hub`` calls to list and download a
model repo (repo info, recursive tree, resolve with HEAD and GET), serving folders in the Hub's layout.

Point ``HF_ENDPOINT`` at ``HubServer.url``; nothing leaves the machine. A repo is a mapping of repo paths to
local files; a repo can be marked gated (every file answers 401 GatedRepo, as the Hub does without a token).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from .cli_runs import Run


class Repo(NamedTuple):
    """A served model repo: its files (repo path -> local file), whether it is gated, and for a private repo the
    token it asks for (``Authorization: Bearer TOKEN``; without it every request answers 401 RepoNotFound)."""

    files: dict[str, Path]
    gated: bool = False
    token: str | None = None

    @property
    def commit(self) -> str:
        """A fixed 40-hex commit sha, derived from the file names and contents."""
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(name.encode() + hashlib.sha256(self.files[name].read_bytes()).digest())
        return digest.hexdigest()


def folder_repo(folder: Path, *, names: tuple[str, ...] | None = None, prefix: str = "",
                gated: bool = False) -> dict[str, Path]:
    """The files of ``folder`` (or only ``names``) as repo paths, under ``prefix`` (e.g. ``"onnx/"``)."""
    chosen = sorted(p.name for p in folder.iterdir() if p.is_file()) if names is None else names
    return {prefix + name: folder / name for name in chosen}


class HubServer:
    """A threaded HTTP server serving ``repos`` (repo id -> ``Repo``) at the revision ``main`` and by commit.

    Use it as a context manager; ``requests`` records every (method, path) served, for tests of what was
    downloaded.
    """

    def __init__(self, repos: dict[str, Repo]) -> None:
        self.repos = repos
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                server._answer(self, body=False)

            def do_GET(self) -> None:
                server._answer(self, body=True)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    # ------------------------------------------------------------------------------------------ routing
    def _find(self, parts: list[str]) -> tuple[str, Repo, list[str]] | None:
        """(repo id, repo, the rest of the path) for a path starting with ORG/NAME."""
        if len(parts) >= 2 and f"{parts[0]}/{parts[1]}" in self.repos:
            return f"{parts[0]}/{parts[1]}", self.repos[f"{parts[0]}/{parts[1]}"], parts[2:]
        return None

    def _answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        self.requests.append((handler.command, path))
        parts = [p for p in path.split("/") if p]
        api = parts[:2] == ["api", "models"]
        found = self._find(parts[2:] if api else parts)
        if found is None:
            return self._send(handler, 404, b"", {"X-Error-Code": "RepoNotFound",
                                                  "X-Error-Message": "Repository not found"}, body)
        repo_id, repo, rest = found
        if repo.token is not None and handler.headers.get("Authorization") != f"Bearer {repo.token}":
            return self._send(handler, 401, b"", {"X-Error-Code": "RepoNotFound",
                                                  "X-Error-Message": "Repository not found"}, body)
        if len(rest) < 2 or rest[1] not in ("main", repo.commit):
            return self._send(handler, 404, b"", {"X-Error-Code": "RevisionNotFound",
                                                  "X-Error-Message": "Invalid rev id"}, body)
        if api and rest[0] == "revision":
            info = {"id": repo_id, "modelId": repo_id, "sha": repo.commit, "private": False, "gated": repo.gated,
                    "siblings": [{"rfilename": name} for name in sorted(repo.files)]}
            return self._send(handler, 200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body)
        if api and rest[0] == "tree":
            tree = [{"type": "file", "path": name, "size": repo.files[name].stat().st_size,
                     "oid": hashlib.sha1(repo.files[name].read_bytes()).hexdigest()} for name in sorted(repo.files)]
            return self._send(handler, 200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body)
        if not api and rest[0] == "resolve":
            name = "/".join(rest[2:])
            if repo.gated:
                return self._send(handler, 401, b"", {"X-Error-Code": "GatedRepo", "X-Error-Message":
                                                      f"Access to model {repo_id} is restricted."}, body)
            if name not in repo.files:
                return self._send(handler, 404, b"", {"X-Error-Code": "EntryNotFound",
                                                      "X-Error-Message": "Entry not found"}, body)
            data = repo.files[name].read_bytes()
            return self._send(handler, 200, data, {"ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                                                   "X-Repo-Commit": repo.commit,
                                                   "Content-Type": "application/octet-stream"}, body)
        return self._send(handler, 404, b"", {}, body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str], body: bool) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body:
            handler.wfile.write(data)


# ---------------------------------------------------------------------------------------- the golden repos
PRIVATE_TOKEN = "hf_localtesttoken"  # the token of the private repo test-org/private-esm
_TOKENIZER = ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt")


def golden_repos() -> dict[str, Repo]:
    """The golden models as Hub repos: bert whole (export + checkpoint at the root), bert as an ``onnx/``
    export (the layout of ONNX repos on the Hub), esm as a checkpoint only, a repo with only
    ``pytorch_model.bin``, a gated copy of bert and a private copy of esm (``PRIVATE_TOKEN``)."""
    from .paths import GOLDEN

    bert, esm = GOLDEN / "models" / "bert", GOLDEN / "models" / "esm"
    return {
        "test-org/tiny-bert": Repo(folder_repo(bert)),
        "test-org/tiny-bert-onnx": Repo({**folder_repo(bert, names=_TOKENIZER),
                                         **folder_repo(bert, names=("model.onnx",), prefix="onnx/")}),
        "test-org/tiny-esm": Repo(folder_repo(esm, names=_TOKENIZER + ("model.safetensors",))),
        "test-org/bin-only": Repo({**folder_repo(bert, names=_TOKENIZER), "pytorch_model.bin": bert / "config.json"}),
        "test-org/gated-bert": Repo(folder_repo(bert), gated=True),
        "test-org/private-esm": Repo(folder_repo(esm, names=_TOKENIZER + ("model.safetensors",)), token=PRIVATE_TOKEN),
    }


def hub_env(home: Path, endpoint: str | None, *, offline: bool = False) -> dict[str, str]:
    """The environment of a process that uses the Hub at ``endpoint`` with its cache in ``home`` (HF_HOME), no
    token, no progress bars; HF_HUB_OFFLINE=1 when ``offline``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(home), HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")
    env["HF_ENDPOINT"] = endpoint or "http://127.0.0.1:9"  # nothing listens on port 9 (discard)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return env


def run_cli(env: dict[str, str], *argv: object, cwd: Path | None = None) -> Run:
    """``fillmask-np ARGV`` in a fresh process with ``env`` (huggingface_hub reads its settings at import)."""
    done = subprocess.run([sys.executable, "-m", "fillmask_np", *map(str, argv)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def run_python(env: dict[str, str], code: str) -> str:
    """The stdout of ``python -c CODE`` in a fresh process with ``env``, which must succeed."""
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout
