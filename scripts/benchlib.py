"""Shared plumbing for the benchmark commands: a database, the app under gunicorn, a Celery worker,
the Monnify sandbox, all on loopback, all stopped at the end."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


@contextlib.contextmanager
def database():
    """DATABASE_URL if set, else an embedded PostgreSQL in a temporary folder."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    folder = tempfile.mkdtemp(prefix="cozonpay-bench-pg.")
    url = subprocess.check_output([PY, "scripts/devdb.py", "start", "--data", folder], cwd=ROOT, text=True).strip()
    try:
        yield url
    finally:
        subprocess.run([PY, "scripts/devdb.py", "stop", "--data", folder], cwd=ROOT, check=False)
        subprocess.run(["rm", "-rf", folder], check=False)


def base_env(database_url: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        MONNIFY_SECRET_KEY=env.get("MONNIFY_SECRET_KEY", "bench-monnify-secret"),
        MONNIFY_API_KEY=env.get("MONNIFY_API_KEY", "MK_TEST_BENCH"),
        MONNIFY_CONTRACT_CODE=env.get("MONNIFY_CONTRACT_CODE", "7059707855"),
        MONNIFY_WALLET_ACCOUNT_NUMBER=env.get("MONNIFY_WALLET_ACCOUNT_NUMBER", "9988776655"),
        PYTHONUNBUFFERED="1",
        # Our own queue: other checkouts' workers may share this Redis (and its database number).
        CELERY_TASK_DEFAULT_QUEUE=env.get("CELERY_TASK_DEFAULT_QUEUE", f"bench-{os.getpid()}"),
    )
    if not env.get("CELERY_BROKER_URL") and not env.get("REDIS_URL") and _redis_answers():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/14"
    if not env.get("CELERY_BROKER_URL") and not env.get("REDIS_URL"):
        broker = tempfile.mkdtemp(prefix="cozonpay-bench-broker.")
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_FILESYSTEM_BROKER_DIR"] = broker
    env.update(extra)
    return env


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_http(url: str, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {deadline_s}s")


class Processes:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict, log: str) -> subprocess.Popen:
        handle = open(log, "w")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def gunicorn(procs: Processes, env: dict, port: int, workers: int = 4, threads: int = 1) -> None:
    args = [str(Path(PY).parent / "gunicorn"), "cozonpay.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--timeout", "60"]
    if threads > 1:
        args += ["--threads", str(threads), "--worker-class", "gthread"]
    procs.start(args, env, f"/tmp/cozonpay-bench-gunicorn-{port}.log")
    wait_http(f"http://127.0.0.1:{port}/health/live")


def celery_worker(procs: Processes, env: dict, concurrency: int = 2, nice: int = 0) -> None:
    prefix = ["nice", "-n", str(nice)] if nice else []
    procs.start([*prefix, str(Path(PY).parent / "celery"), "-A", "cozonpay", "worker", "--loglevel", "WARNING",
                 "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"],
                env, "/tmp/cozonpay-bench-worker.log")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat): how busy the cores
    were during a run, whoever used them."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / hz, sum(fields[:8]) / hz


def process_group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of the live processes of a process group (Linux /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def client_priority(niceness: int = -10):
    """Run the load generator ahead of the server's processes on the shared cores. Real clients
    (Monnify, customers' phones) are other machines: on this 2-core box a load generator that waits
    for the CPU behind the server it measures adds its own scheduling delay to every latency it
    records. Needs root (or CAP_SYS_NICE); without it the run goes on at normal priority and says so."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
        raised = True
    except PermissionError:
        print(json.dumps({"note": "load generator at normal priority (setpriority needs root)"}), flush=True)
        raised = False
    try:
        yield
    finally:
        if raised:
            os.setpriority(os.PRIO_PROCESS, 0, before)
