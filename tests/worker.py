"""A REAL Celery worker subprocess against the pytest-django test database, for tests where the
worker matters (crash in the middle of a task, redelivery, beat-driven pollers).

Usage (the test must use committed data: ``@pytest.mark.django_db(transaction=True)``)::

    (the fixture `worker_process` is registered by tests/conftest.py for every test)

    @pytest.mark.django_db(transaction=True)
    def test_x(worker_process, sandbox):
        worker = worker_process(env={"MONNIFY_BASE_URL": sandbox.url}, beat=False)   # started and ready
        ...                       # this process's enqueues (on_commit, safe_enqueue) reach that worker
        worker.kill()             # SIGKILL, as a crashed or OOM-killed worker
        worker = worker_process()  # a fresh one (same broker and queue)
        wait_until(lambda: ..., timeout=20)

API:
- ``worker_process(env=None, beat=False, ready_timeout=30.0) -> CeleryWorker`` starts a worker and
  waits for its "ready" line (a deadline, never a sleep). ``env`` overrides the worker's environment
  (settings are read from the environment: ``PAYMENTS_POLL_INTERVAL_SECONDS``, ``MONNIFY_*``...).
  ``beat=True`` embeds celery beat (``-B``, its own schedule file) so the pollers run on schedule.
  Every worker started by one test shares one broker and one private queue; all are stopped
  (terminate, then SIGKILL after a deadline) before the database is flushed.
- ``CeleryWorker.kill()`` (SIGKILL), ``.terminate(timeout)`` (SIGTERM, warm shutdown, then SIGKILL),
  ``.alive``, ``.pid``, ``.output()`` (its combined stdout/stderr so far, for failure messages).
- Broker: ``REDIS_URL`` when set (a unique queue per test, so parallel runs sharing a Redis never
  meet), else kombu's filesystem transport in a temporary folder (``CELERY_FILESYSTEM_BROKER_DIR``).
  While the fixture is active, this test process's Celery app sends to the same broker and queue;
  it is restored afterwards.
- Database: ``DATABASE_URL`` is rebuilt from ``connection.settings_dict`` with pytest-django's test
  database name (``test_<name>``, ``_gwN`` under xdist).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[1]


def worker_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s.get("USER") or "postgres", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class CeleryWorker:
    def __init__(self, *, env: dict[str, str], log_path: Path, beat_schedule: Path | None):
        self.log_path = log_path
        args = [sys.executable, "-m", "celery", "-A", "cozonpay", "worker", "--pool=solo", "--concurrency=1",
                "-Q", env["CELERY_TASK_DEFAULT_QUEUE"], "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
        if beat_schedule is not None:
            args += ["-B", "-s", str(beat_schedule)]
        self._log = open(log_path, "ab")
        # cwd: a scratch folder, so nothing the worker writes lands in the repository.
        self.process = subprocess.Popen(args, cwd=log_path.parent, env={**env, "PYTHONPATH": str(ROOT)},
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float) -> CeleryWorker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return self
            if not self.alive:
                raise AssertionError(f"celery worker exited ({self.process.returncode}):\n{self.output()[-4000:]}")
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"celery worker not ready within {timeout}s:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (beat included), as a crash would."""
        if self.alive:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self._log.close()

    def terminate(self, timeout: float = 10.0) -> None:
        if self.alive:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


def _use_broker_here(broker_url: str, transport_options: dict, queue: str):
    """Point this process's Celery app at the worker's broker and queue; returns a restore function."""
    from cozonpay.celery import app
    from cozonpay.enqueue import reset_broker_backoff

    saved = {key: app.conf.get(key) for key in ("broker_url", "broker_transport_options", "task_default_queue")}
    saved_env = os.environ.get("CELERY_BROKER_URL")  # Celery's broker_url reads this first

    def _reset_connections() -> None:
        # Forget (do not close: kombu shares pools per URL across the process) the cached pools.
        app._pool = None
        app.__dict__.pop("amqp", None)
        reset_broker_backoff()

    _reset_connections()
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.update(broker_url=broker_url, broker_transport_options=transport_options, task_default_queue=queue)

    def restore() -> None:
        _reset_connections()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(**saved)

    return restore


@pytest.fixture
def worker_process(transactional_db, tmp_path, request):
    """A factory of real worker subprocesses (see the module docstring). Workers talk to the test
    session's Monnify sandbox when the test has one (payments tests)."""
    try:
        sandbox_server = request.getfixturevalue("sandbox_server")
        monnify_url = sandbox_server.url
    except pytest.FixtureLookupError:
        monnify_url = os.environ.get("MONNIFY_BASE_URL", "http://monnify.test")
    queue = f"test-{uuid.uuid4().hex}"
    redis_url = os.environ.get("REDIS_URL", "")
    env_base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cozonpay.settings_test",
        "DATABASE_URL": worker_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MONNIFY_BASE_URL": monnify_url,
        "MONNIFY_READ_TIMEOUT": "2",
        "MONNIFY_RETRY_BACKOFF_SECONDS": "0.01",
        "PAYMENTS_POLL_INTERVAL_SECONDS": "1",
        "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
        "WEBHOOK_SWEEP_INTERVAL_SECONDS": "1",
        "WITHDRAWAL_SUBMIT_GRACE_SECONDS": "3",
        "WITHDRAWAL_STALE_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        broker_url, transport_options = redis_url, {"visibility_timeout": 3600}
        env_base["CELERY_BROKER_URL"] = redis_url
    else:
        broker_dir = tmp_path / "broker"
        for sub in ("in", "processed", "control"):
            (broker_dir / sub).mkdir(parents=True, exist_ok=True)
        broker_url = "filesystem://"
        transport_options = {"data_folder_in": str(broker_dir / "in"), "data_folder_out": str(broker_dir / "in"),
                             "processed_folder": str(broker_dir / "processed"),
                             "control_folder": str(broker_dir / "control"), "store_processed": False}
        env_base["CELERY_BROKER_URL"] = "filesystem://"
        env_base["CELERY_FILESYSTEM_BROKER_DIR"] = str(broker_dir)
    restore = _use_broker_here(broker_url, transport_options, queue)
    workers: list[CeleryWorker] = []

    def start(env: dict[str, str] | None = None, beat: bool = False, ready_timeout: float = 30.0) -> CeleryWorker:
        n = len(workers)
        worker = CeleryWorker(env={**env_base, **(env or {})}, log_path=tmp_path / f"worker-{n}.log",
                              beat_schedule=tmp_path / f"beat-{n}" if beat else None)
        workers.append(worker)
        return worker.wait_ready(ready_timeout)

    try:
        yield start
    finally:
        for worker in workers:
            worker.terminate(timeout=5)
        restore()
        if redis_url:  # leave no messages behind in a shared Redis
            try:
                import redis

                redis.Redis.from_url(redis_url).delete(queue)
            except Exception:
                pass


def wait_for(condition, *, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout}s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
