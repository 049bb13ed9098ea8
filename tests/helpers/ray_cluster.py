"""A real local Ray cluster for tests, started and stopped by the test run itself.

``RayHead.start`` runs ``ray start --head --block`` on a free port with its own temp dir and this process's
token-auth mode (``driver_auth_mode``), in a new session (``start_new_session``: the session's id is the head's
pid, and every process of the cluster, Ray's actors in their own process groups included, stays in it); ``stop``
ends exactly that cluster: SIGTERM to the head (``ray start --block`` then stops what it started), then SIGKILL to
whatever is left in its session.
Nothing is stopped by name: never Ray's own stop command, which would hit other Ray users on the machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["RayHead", "driver_auth_mode", "free_port", "ray_missing", "session_pids"]


def ray_missing() -> str | None:
    """Why Ray Data cannot be used here (a skip reason), or None."""
    try:
        import ray.data  # noqa: F401
    except ImportError as exc:
        return f"Ray Data is not installed ({exc}): pip install '.[ray]'"
    return None


def driver_auth_mode() -> str:
    """The token-auth mode a ``ray.init(address=...)`` from this process uses, which the cluster must share.

    Ray 2.5x+ connects by explicit address without token auth unless ``RAY_AUTH_MODE=token``, and a local
    ``ray.init()`` sets ``RAY_AUTH_MODE=token`` in this process's environment for good (an earlier test that ran
    ``--ray local`` does): a head started in the other mode accepts the connection but its tasks never return.
    """
    return os.environ.get("RAY_AUTH_MODE", "disabled")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def session_pids(session: int) -> list[int]:
    """Live (not zombie) processes of session ``session``: the head started in it and everything it spawned, actors
    in their own process groups included (a Ray worker renames itself, so its command line cannot tell)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()  # state ppid pgrp session ...
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found


class RayHead:
    """One head node of a Ray cluster on this machine, started by ``start`` and stopped by ``stop``."""

    def __init__(self, process: subprocess.Popen, port: int, temp_dir: Path, log: Path) -> None:
        self.process, self.port, self.temp_dir, self.log = process, port, temp_dir, log
        self.address = f"127.0.0.1:{port}"

    @classmethod
    def start(cls, *, num_cpus: int = 2, timeout: float = 90.0) -> RayHead:
        """Start a head node with ``num_cpus`` CPUs and wait until its port answers (``RuntimeError`` if not)."""
        ray = Path(sys.executable).with_name("ray")
        command = [str(ray)] if ray.exists() else [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]
        port = free_port()
        temp_dir = Path(tempfile.mkdtemp(prefix="fmray"))  # short: Ray's socket paths must fit in 107 bytes
        log = temp_dir / "head.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command + ["start", "--head", f"--port={port}", f"--temp-dir={temp_dir}", f"--num-cpus={num_cpus}",
                           "--include-dashboard=false",
                           "--object-store-memory=200000000", "--disable-usage-stats", "--block"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": driver_auth_mode()})
        head = cls(process, port, temp_dir, log)
        deadline = time.monotonic() + timeout
        while not (_listening(port) and "Ray runtime started" in log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-2000:]
                head.stop()
                raise RuntimeError(f"ray start --head did not come up (exit {process.poll()}):\n{text}")
            time.sleep(0.25)
        return head

    def stop(self, *, grace: float = 5.0) -> None:
        """Stop this cluster and only it (the processes of the head's session), then remove its temp dir."""
        session = self.process.pid  # start_new_session: the head leads its own session
        if self.process.returncode is None:  # not reaped yet: its pid, the session's id, cannot be reused meanwhile
            os.kill(session, signal.SIGTERM)  # ray start --block stops what it started, gracefully
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and session_pids(session):
                time.sleep(0.1)
        deadline = time.monotonic() + 10.0
        while (left := session_pids(session)) and time.monotonic() < deadline:
            for pid in left:  # what is left of this cluster (detached actors, a slow raylet)
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.1)
        self.process.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        if left:
            raise RuntimeError(f"Ray test cluster processes {left} of session {session} outlived SIGKILL")
