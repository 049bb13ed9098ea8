"""The Ray connection of one distributed run: Ray imported on first use, a cluster joined or started, and left as
it was found (a local Ray started here is shut down; a cluster joined here is only disconnected from)."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any, Iterator

from ..errors import FillMaskError

__all__ = ["require_ray", "ray_session", "check_reachable", "check_cpus", "quiet_data"]

CONNECT_TIMEOUT_S = 10.0  # a cluster's head answers a TCP connection at once; ray.init would retry for minutes
# HTTP/2's client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS, the Ray Client server) answers with
# its own SETTINGS frame (RFC 9113 3.4); a port that accepts but never answers makes ray.init retry for minutes
_HTTP2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_SETTINGS = 4  # the frame type in byte 3 of a frame's 9-byte header


def require_ray(what: str = "fillmask_np.distributed") -> Any:
    """The ``ray`` module, with Ray Data importable; one ``FillMaskError`` line saying how to install it, if not.

    Args:
        what: the feature that needs Ray, named in the message.
    Returns:
        the ``ray`` module.
    """
    try:
        import ray
        import ray.data  # noqa: F401  (the [data] extra: pyarrow, pandas)
    except ImportError as exc:
        raise FillMaskError(f"{what} needs the [ray] extra (Ray Data, not installed: {exc}): "
                            f"pip install 'fillmask_np[ray]'") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None, *, num_cpus: int) -> Iterator[Any]:
    """Connect to Ray for the duration of a ``with`` block; yields the ``ray`` module.

    Args:
        address: None or ``"local"``: the Ray this process already runs, else a new local one with ``num_cpus``
            CPUs (shut down afterwards); ``"auto"``, ``"host:port"`` or ``"ray://host:port"``: that cluster
            (disconnected from afterwards, never stopped). Already connected: that connection, left open.
            Workers' output stays in the session's ``logs/`` (``log_to_driver=False``) when this call connects.
        num_cpus: CPUs of a local Ray started here.
    Returns:
        a context manager.
    """
    ray = require_ray()
    if address is not None and not isinstance(address, str):
        raise FillMaskError(f"address={address!r} is not a string; pass None or 'local' (a local Ray), 'auto' (the "
                            f"cluster this machine belongs to), 'host:port' or 'ray://host:port'")
    if ray.is_initialized():
        yield ray
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}  # a failure: one line, see below
    if address in (None, "local"):
        options["num_cpus"] = int(num_cpus)
    else:
        options["address"] = address
        check_reachable(address)  # ray.init retries for minutes an address that does not answer, or not as Ray
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = "a local Ray" if "address" not in options else f"the Ray cluster at {address!r}"
        raise FillMaskError(f"cannot start or reach {where} ({str(exc).strip().splitlines()[0][:200]}); check that "
                            f"the cluster runs (ray status) and the address") from None
    try:
        yield ray
    finally:
        ray.shutdown()  # this call connected: disconnect (a local Ray started here stops with it)


def check_reachable(address: str, *, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse a ``host:port`` or ``ray://host:port`` address that does not accept a TCP connection, or does not
    answer it as a gRPC server (Ray's GCS or Ray Client server), within ``timeout`` seconds each, in one line
    (``"auto"`` and other forms are left to Ray; with ``RAY_USE_TLS`` set, only the connection is checked).

    Args:
        address: the Ray address as given.
        timeout: seconds to wait for the connection, then for the answer.

    >>> check_reachable("auto")
    """
    target = address[len("ray://"):] if address.startswith("ray://") else address
    host, sep, port_text = target.rpartition(":")
    if not sep or not host:
        return
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise FillMaskError(f"Ray address {address!r} has port {port_text!r}, not a number in 1..65535; pass "
                            f"host:port, e.g. 10.0.0.5:6379")
    try:
        connection = socket.create_connection((host.strip("[]"), int(port_text)), timeout=timeout)
    except OSError as exc:
        why = f"no answer within {timeout:g} s" if isinstance(exc, socket.timeout) else exc.strerror or str(exc)
        raise FillMaskError(f"nothing answers at the Ray address {address!r} ({why}); start the cluster (ray start "
                            f"--head) or check the address and port") from None
    with connection:
        if os.environ.get("RAY_USE_TLS", "0").lower() in ("0", "false", ""):  # TLS: the handshake is Ray's
            why = _grpc_silence(connection, timeout)
            if why:
                raise FillMaskError(f"the Ray address {address!r} accepts connections but is not a Ray cluster's "
                                    f"port ({why}); pass the head's GCS address (ray start --head prints it; port "
                                    f"6379 by default) or ray://host:10001") from None


def _grpc_silence(connection: socket.socket, timeout: float) -> str:
    """Why the peer on ``connection`` is not a gRPC server ("" if it is): it must answer HTTP/2's client preface
    with a SETTINGS frame within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    head = b""
    try:
        connection.sendall(_HTTP2_HELLO)
        while len(head) < 9:
            connection.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = connection.recv(9 - len(head))
            if not chunk:
                return "it closed the connection without a gRPC answer"
            head += chunk
    except socket.timeout:
        return f"no gRPC answer within {timeout:g} s"
    except OSError as exc:
        return f"the connection failed: {exc.strerror or exc}"
    return "" if head[3] == _SETTINGS else f"it answered {head[:9]!r}, not a gRPC (HTTP/2) SETTINGS frame"


def check_cpus(ray: Any, cpus_per_worker: int) -> None:
    """Refuse a worker the cluster can never run: one needing more CPUs than the whole cluster has (a pool larger
    than the cluster is fine: Ray runs the workers that fit).

    Args:
        ray: the connected ``ray`` module.
        cpus_per_worker: CPUs of each worker.
    """
    total = float(ray.cluster_resources().get("CPU", 0.0))
    if total < cpus_per_worker:
        raise FillMaskError(f"cpus_per_worker={cpus_per_worker!r} exceeds the {total:g} CPUs of the Ray cluster: no "
                            f"worker could start; lower cpus_per_worker or add nodes")


@contextlib.contextmanager
def quiet_data(ray: Any, *, progress: bool) -> Iterator[None]:
    """Ray Data's progress bars and start-of-run lines on (``progress``) or off for the datasets made in the block;
    the current ``DataContext`` is restored afterwards.

    Args:
        ray: the ``ray`` module.
        progress: show them.
    Returns:
        a context manager.
    """
    context = ray.data.DataContext.get_current()
    before = context.enable_progress_bars, context.print_on_execution_start
    context.enable_progress_bars = context.print_on_execution_start = bool(progress)
    try:
        yield
    finally:
        context.enable_progress_bars, context.print_on_execution_start = before
