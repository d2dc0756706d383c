"""Serving the sandbox: a threaded stdlib WSGI server bound to loopback only.

``SandboxServer(port=0).start()`` binds (port 0: a free port chosen by the OS, so parallel test
workers never collide), starts serving on a daemon thread and answers once
``/sandbox/health`` responds. ``stop()`` releases hanging requests, stops the scheduler and
closes the socket."""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import threading
import time
import urllib.request
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .app import SandboxApp
from .state import Sandbox

logger = logging.getLogger("payments.sandbox")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox %s", format % args)


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout fault) leaves a broken pipe behind: not an error.
        logger.debug("sandbox connection error from %s", client_address, exc_info=True)


class _ThreadingWSGIServer6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


class SandboxServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any):
        if not is_loopback(host):
            raise ValueError(f"the Monnify sandbox only binds to loopback, not {host!r}")
        self.host = host
        self.requested_port = port
        self.sandbox = Sandbox(**config)
        self.app = SandboxApp(self.sandbox)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, ready_timeout: float = 10.0) -> SandboxServer:
        server_class = _ThreadingWSGIServer6 if ":" in self.host else _ThreadingWSGIServer
        self._server = server_class((self.host, self.requested_port), _QuietHandler)
        self._server.set_app(self.app)
        self.sandbox.start()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="monnify-sandbox", daemon=True)
        self._thread.start()
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/sandbox/health", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError as exc:
                last = exc
            time.sleep(0.02)
        raise RuntimeError(f"the Monnify sandbox did not become ready within {timeout}s: {last}")

    def stop(self) -> None:
        self.sandbox.stop()  # releases hanging requests first
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
