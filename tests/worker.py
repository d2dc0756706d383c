"""A real Celery worker (and beat) in a subprocess, against the test database, for tests that
must prove what happens across processes: crashes, SIGKILL, a broker that goes away.

    with CeleryWorker(broker=url, env={"WEBHOOK_SWEEP_INTERVAL_SECONDS": "1"}, beat=True) as worker:
        ...                      # worker.kill() sends SIGKILL to the whole process group

Needs `@pytest.mark.django_db(transaction=True)`: the worker sees only committed rows. The broker
is a URL the test owns: a `redis-server` it started (`RedisServer`), or kombu's filesystem transport
in a temporary folder (`filesystem_broker(tmp_path)`), so CI needs no Redis.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(condition, *, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout}s")
        time.sleep(interval)


def filesystem_broker(folder: Path) -> tuple[str, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    return "filesystem://", {"CELERY_FILESYSTEM_BROKER_DIR": str(folder)}


class RedisServer:
    """A private redis-server on a free port (start/stop at will: "Redis went away")."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(self._answers, timeout=10, message="redis-server up")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class CeleryWorker:
    def __init__(self, *, broker: str, env: dict | None = None, beat: bool = False, concurrency: int = 1):
        self.broker = broker
        self.extra_env = env or {}
        self.beat = beat
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="cozonpay-worker-", suffix=".log")[1])
        self.schedule = Path(tempfile.mkdtemp(prefix="cozonpay-beat-")) / "schedule"

    def start(self) -> CeleryWorker:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="cozonpay.settings_test",
            DATABASE_URL=worker_database_url(),
            CELERY_BROKER_URL=self.broker,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in self.extra_env.items()})
        args = [sys.executable, "-m", "celery", "-A", "cozonpay", "worker", "--loglevel", "INFO",
                "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"]
        if self.beat:
            args += ["--beat", "--schedule", str(self.schedule)]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_for(lambda: "ready." in self.log.read_text() or self.proc.poll() is not None, timeout=60,
                 message="celery worker ready")
        if self.proc.poll() is not None:
            raise AssertionError(f"celery worker exited:\n{self.log.read_text()[-3000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no cleanup, no acks, like a node dying."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text()

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
