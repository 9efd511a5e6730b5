"""Keep Dask's HTTP server from binding a port at all, in a batch's local cluster.

``distributed`` starts an HTTP server on every scheduler and worker (``ServerNode.start_http_server``), even with
``dashboard_address=None`` and no routes: the scheduler's on 8787 (or any free port), each worker's on a random
one, all plain HTTP without the cluster's TLS. No option prevents the bind (distributed 2024-2025: the address
falls back to ``default_port``), so :func:`no_http_server` replaces that method with one that binds nothing: an
empty routing application and no server. In the batch's own process (where ``LocalCluster`` runs the
scheduler) :func:`patched` applies it while the cluster starts; in each worker process this module is a Dask
preload (``distributed.worker.preload``), imported as the worker is built and before it starts, which
applies it for that process (it never patches a process that has no multiprocessing parent: the user's).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from typing import Any

__all__ = ["no_http_server", "patched"]


def no_http_server(self: Any, routes: Any, dashboard_address: Any, default_port: int = 0,
                   ssl_options: Any = None) -> None:
    """``ServerNode.start_http_server`` that listens nowhere (the attributes distributed reads stay set)."""
    from distributed.http.routing import RoutingApplication

    self.http_application = RoutingApplication([])
    self.http_server = None


@contextlib.contextmanager
def patched() -> Iterator[None]:
    """While the block runs, no scheduler or worker built in this process binds an HTTP port."""
    from distributed.node import ServerNode

    original = ServerNode.start_http_server
    ServerNode.start_http_server = no_http_server  # type: ignore[method-assign]
    try:
        yield
    finally:
        ServerNode.start_http_server = original  # type: ignore[method-assign]


if multiprocessing.parent_process() is not None:  # imported as a worker's preload, in the worker's own process
    from distributed.node import ServerNode

    ServerNode.start_http_server = no_http_server  # type: ignore[method-assign]
