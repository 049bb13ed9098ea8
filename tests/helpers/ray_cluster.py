"""A real local Ray cluster for tests, started and stopped by the test run itself.

``RayHead.start`` runs ``ray start --head --block`` with its own temp dir, free ports and this process's token-auth
mode (``driver_auth_mode``); ``RayHead.join`` runs ``ray start --address HEAD --block`` for a second node joined to it
by address, with its own temp dir and free ports too, and waits until ``ray.nodes()`` shows it alive
(``RayCluster.start`` does both). Each node is one ``ray start --block`` process in a new session
(``start_new_session``: the session's id is that process's pid, and every process of the node, Ray's actors in
their own process groups included, stays in it); ``stop`` ends exactly that node: SIGTERM to it (``ray start --block``
then stops what it started), then SIGKILL to whatever is left in its session. A node that does not come up (a port
taken meanwhile, an overloaded machine) is started once more, on new ports.
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
from typing import Callable, TypeVar

__all__ = ["RayCluster", "RayHead", "RayNode", "alive", "driver_auth_mode", "free_port", "ray_missing",
           "session_pids"]

T = TypeVar("T")
ATTEMPTS = 2  # a node that does not come up (a port taken meanwhile, an overloaded machine) is started again once


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
    ``--ray local`` does): a head started in the other mode accepts the connection but its tasks never return. So
    the mode is pinned: unset, it is set to ``disabled`` here for the rest of this process (Ray respects an explicit
    mode), and a local ``ray.init()`` run after a cluster started (a test after a session-wide head) keeps it.
    """
    return os.environ.setdefault("RAY_AUTH_MODE", "disabled")


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
    """Live (not zombie) processes of session ``session``: the node started in it and everything it spawned, actors
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


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` that are still running (not gone, not zombies)."""
    left = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.append(pid)
    return left


def _again(start: Callable[[], T]) -> T:
    """``start()``, called again (new ports, new temp dir) if it raises ``RuntimeError``, up to ``ATTEMPTS`` times."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return start()
        except RuntimeError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _ray_command() -> list[str]:
    ray = Path(sys.executable).with_name("ray")
    return [str(ray)] if ray.exists() else [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]


class RayNode:
    """One node of a Ray cluster on this machine: a ``ray start --block`` process leading its own session.

    ``node_manager_port`` names it among ``ray.nodes()`` (``NodeManagerPort``); ``node_id`` is its Ray node id once
    ``RayHead.join`` (or ``RayCluster.start``) saw it registered.
    """

    def __init__(self, process: subprocess.Popen, temp_dir: Path, log: Path, node_manager_port: int) -> None:
        self.process, self.temp_dir, self.log, self.node_manager_port = process, temp_dir, log, node_manager_port
        self.node_id: str | None = None

    @classmethod
    def launch(cls, options: list[str], *, name: str, timeout: float, ready: int | None = None) -> RayNode:
        """Run ``ray start OPTIONS --block`` on free ports with its own temp dir, in a new session, and wait until it
        logs "Ray runtime started" (and port ``ready`` answers, if given); ``RuntimeError`` with its log if not."""
        temp_dir = Path(tempfile.mkdtemp(prefix="fmray"))  # short: Ray's socket paths must fit in 107 bytes
        log = temp_dir / f"{name}.log"
        node_manager = free_port()
        ports = [f"--node-manager-port={node_manager}", f"--object-manager-port={free_port()}",
                 "--min-worker-port=0", "--max-worker-port=0",  # workers on ports the OS picks (not 10002-19999)
                 f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
                 f"--runtime-env-agent-port={free_port()}", f"--metrics-export-port={free_port()}"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                _ray_command() + ["start", *options, *ports, f"--temp-dir={temp_dir}",
                                  "--object-store-memory=200000000", "--disable-usage-stats", "--block"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": driver_auth_mode()})
        node = cls(process, temp_dir, log, node_manager)
        deadline = time.monotonic() + timeout
        while not ((ready is None or _listening(ready)) and "Ray runtime started" in node.output()):
            if process.poll() is not None or time.monotonic() > deadline:
                text = node.output()[-2000:] + node.logs_tail()
                node.stop()
                raise RuntimeError(f"ray start {name} did not come up (exit {process.poll()}):\n{text}")
            time.sleep(0.25)
        return node

    def output(self) -> str:
        """What ``ray start`` printed so far (its log is removed by ``stop``)."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def logs_tail(self, *, chars: int = 1500) -> str:
        """The ends of the node's raylet and GCS logs, for a failure message."""
        logs = self.temp_dir / "session_latest" / "logs"
        tails = []
        for name in ("raylet.out", "raylet.err", "gcs_server.out", "gcs_server.err"):
            try:
                text = (logs / name).read_text(errors="replace")[-chars:]
            except OSError:
                continue
            if text.strip():
                tails.append(f"\n--- {name}:\n{text}")
        return "".join(tails)

    def pids(self) -> list[int]:
        """The live processes of this node: its session's."""
        return session_pids(self.process.pid)

    def stop(self, *, grace: float = 5.0) -> None:
        """Stop this node and only it (the processes of its session), then remove its temp dir."""
        session = self.process.pid  # start_new_session: the node's ray start leads its own session
        if self.process.returncode is None:  # not reaped yet: its pid, the session's id, cannot be reused meanwhile
            os.kill(session, signal.SIGTERM)  # ray start --block stops what it started, gracefully
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and session_pids(session):
                time.sleep(0.1)
        deadline = time.monotonic() + 10.0
        while (left := session_pids(session)) and time.monotonic() < deadline:
            for pid in left:  # what is left of this node (detached actors, a slow raylet)
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.1)
        self.process.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        if left:
            raise RuntimeError(f"Ray test cluster processes {left} of session {session} outlived SIGKILL")


class RayHead(RayNode):
    """The head node of a Ray cluster on this machine (GCS on ``port``; ``address`` joins it), started by ``start``."""

    port: int
    address: str

    @classmethod
    def start(cls, *, num_cpus: int = 2, timeout: float = 90.0) -> RayHead:
        """Start a head node with ``num_cpus`` CPUs and wait until its port answers (``RuntimeError`` if not)."""

        def start() -> RayHead:
            port = free_port()
            head = cls.launch(["--head", f"--port={port}", f"--num-cpus={num_cpus}", "--include-dashboard=false"],
                              name="head", timeout=timeout, ready=port)
            assert isinstance(head, RayHead)
            head.port, head.address = port, f"127.0.0.1:{port}"
            return head

        return _again(start)

    def join(self, *, num_cpus: int = 1, timeout: float = 90.0) -> RayNode:
        """Start another node joined to this head by address, and wait until ``ray.nodes()`` shows it alive.

        Returns:
            the node, its ``node_id`` set (and the head's).
        """
        return _again(lambda: self._join(num_cpus, timeout))

    def _join(self, num_cpus: int, timeout: float) -> RayNode:
        node = RayNode.launch([f"--address={self.address}", f"--num-cpus={num_cpus}"], name="node", timeout=timeout)
        try:
            ids = self.alive_nodes(wait_for=node.node_manager_port, timeout=timeout)
        except BaseException:
            node.stop()
            raise
        if node.node_manager_port not in ids:
            text = node.output()[-2000:] + node.logs_tail()
            node.stop()
            raise RuntimeError(f"the node joined to {self.address} never showed alive in ray.nodes() ({ids}):\n{text}")
        node.node_id, self.node_id = ids[node.node_manager_port], ids.get(self.node_manager_port)
        return node

    def alive_nodes(self, *, wait_for: int | None = None, timeout: float = 0.0) -> dict[int, str]:
        """The alive nodes of this cluster by ``ray.nodes()``: node-manager port -> node id, once the node on port
        ``wait_for`` is among them or ``timeout`` seconds passed (a connection of this process opened and closed
        here, unless one is open already)."""
        import ray

        connected = ray.is_initialized()
        if not connected:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        try:
            deadline = time.monotonic() + timeout
            while True:
                ids = {int(n["NodeManagerPort"]): str(n["NodeID"]) for n in ray.nodes() if n["Alive"]}
                if wait_for is None or wait_for in ids or time.monotonic() > deadline:
                    return ids
                time.sleep(0.5)
        finally:
            if not connected:
                ray.shutdown()


class RayCluster:
    """A head node and ``nodes - 1`` nodes joined to it by address, each with ``cpus_per_node`` CPUs."""

    def __init__(self, head: RayHead, others: list[RayNode]) -> None:
        self.head, self.others = head, others
        self.address = head.address

    @classmethod
    def start(cls, *, nodes: int = 2, cpus_per_node: int = 1, timeout: float = 90.0) -> RayCluster:
        """Start the head, then join the other nodes one by one (each seen alive in ``ray.nodes()``)."""
        head = RayHead.start(num_cpus=cpus_per_node, timeout=timeout)
        others: list[RayNode] = []
        try:
            for _ in range(nodes - 1):
                others.append(head.join(num_cpus=cpus_per_node, timeout=timeout))
        except BaseException:
            cls(head, others).stop()
            raise
        return cls(head, others)

    @property
    def nodes(self) -> list[RayNode]:
        """The head, then the joined nodes."""
        return [self.head, *self.others]

    def pids(self) -> list[int]:
        """The live processes of every node."""
        return [pid for node in self.nodes for pid in node.pids()]

    def stop(self) -> None:
        """Stop the joined nodes, then the head: exactly the processes of their sessions."""
        errors = []
        for node in [*reversed(self.others), self.head]:
            try:
                node.stop()
            except RuntimeError as exc:
                errors.append(str(exc))
        if errors:
            raise RuntimeError("; ".join(errors))
