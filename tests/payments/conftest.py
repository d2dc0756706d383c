"""Fixtures for the payments tests: an in-process Monnify sandbox per test worker (port 0, so
xdist workers never collide), a webhook receiver, and clients pointed at either."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings

from payments.clients.monnify import MonnifyClient, clear_token_cache
from payments.sandbox import SandboxServer


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll ``condition`` until it is truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Control:
    """The sandbox's control API, over HTTP like any test or demo would use it."""

    def __init__(self, url: str):
        self.url = url

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict | None = None, expect: int = 200) -> Any:
        response = requests.post(self.url + path, json=body or {}, timeout=5)
        assert response.status_code == expect, response.text
        return response.json()

    def config(self, **patch: Any) -> dict:
        response = requests.patch(self.url + "/sandbox/config", json=patch, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def webhooks(self) -> list[dict]:
        return self.get("/sandbox/webhooks")


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer(
        port=0,
        api_key=django_settings.MONNIFY_API_KEY,
        secret_key=django_settings.MONNIFY_SECRET_KEY,
        contract_code=django_settings.MONNIFY_CONTRACT_CODE,
        wallet_account_number=django_settings.MONNIFY_WALLET_ACCOUNT_NUMBER,
        webhook_retry={"attempts": 3, "interval_s": 0.05},
        webhook_timeout_s=2,
        api_timeout_s=5,
        seed=1234,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server) -> SandboxServer:
    sandbox_server.sandbox.reset()
    return sandbox_server


@pytest.fixture
def control(sandbox) -> Control:
    return Control(sandbox.url)


@pytest.fixture
def monnify_settings(settings, sandbox):
    settings.MONNIFY_BASE_URL = sandbox.url
    settings.MONNIFY_RETRY_BACKOFF_SECONDS = 0.01
    settings.MONNIFY_READ_TIMEOUT = 3
    clear_token_cache()
    yield settings
    clear_token_cache()


@pytest.fixture
def sandbox_client(monnify_settings) -> MonnifyClient:
    """A client talking to the sandbox over real HTTP; audit recording off (no database)."""
    return MonnifyClient(recorder=None)


class Receiver:
    """A webhook target: records every POST (headers, raw body) and answers ``statuses`` in turn
    (then 200)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.statuses: list[int] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.calls.append({"path": self.path, "headers": headers, "body": body,
                                           "at": time.monotonic(), "status": status})
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.calls) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhook calls, got {len(self.calls)}")
                self.cond.wait(remaining)
            return list(self.calls)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(control):
    target = Receiver()
    control.config(webhook_url=target.url + "/webhooks/monnify")
    yield target
    target.close()


class MonnifyHttp:
    """Raw HTTP against the sandbox's Monnify API (no client), to check wire formats."""

    def __init__(self, url: str):
        self.url = url
        self.token = ""

    def login(self) -> str:
        response = requests.post(self.url + "/api/v1/auth/login", auth=(django_settings.MONNIFY_API_KEY,
                                                                       django_settings.MONNIFY_SECRET_KEY), timeout=5)
        assert response.status_code == 200, response.text
        self.token = response.json()["responseBody"]["accessToken"]
        return self.token

    def _headers(self) -> dict:
        if not self.token:
            self.login()
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, params=params, headers=self._headers(), timeout=5)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.url + path, json=body, headers=self._headers(), timeout=5)


@pytest.fixture
def mon(sandbox) -> MonnifyHttp:
    return MonnifyHttp(sandbox.url)
