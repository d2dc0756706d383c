"""make bench-webhooks: valid signed Monnify webhooks from C concurrent senders for S seconds
against the app under gunicorn (as the Procfile runs it), with a Celery worker processing them.

Prints one JSON line with acknowledged webhooks/s, p50/p99 acknowledgement latency and errors,
then one with how long processing took to drain and whether every acknowledged webhook is in the
inbox (none lost).

    python scripts/bench_webhooks.py [--seconds 15] [--concurrency 16] [--web-workers 4]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import (
    Processes,
    base_env,
    celery_worker,
    client_priority,
    database,
    emit,
    free_port,
    gunicorn,
    machine_cpu_seconds,
    manage,
    process_group_cpu_seconds,
)
from loadgen import run_load

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "monnify" / "webhooks" / "SUCCESSFUL_TRANSACTION.json"


def signed_bodies(count: int, secret: str, run: str = "") -> list[tuple[bytes, str]]:
    """`count` distinct signed SUCCESSFUL_TRANSACTION webhooks whose references start with
    MNFY|99|<run>| (so that a run counts only its own rows)."""
    template = json.loads(SAMPLE.read_text()) if SAMPLE.exists() else {"eventType": "SUCCESSFUL_TRANSACTION",
                                                                        "eventData": {}}
    out = []
    for i in range(count):
        payload = json.loads(json.dumps(template))
        ref = f"MNFY|99|{run}|{i:06d}"
        payload["eventData"]["transactionReference"] = ref
        payload["eventData"]["paymentReference"] = ref
        body = json.dumps(payload, separators=(",", ":")).encode()
        out.append((body, hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("S", 15)))
    parser.add_argument("--concurrency", type=int, default=16)
    # As the Procfile runs it: gthread workers keep connections alive (sync workers close each one,
    # so the senders reconnect per request).
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--web-threads", type=int, default=4)
    # One worker process: during a burst, processing takes what the acknowledgements leave of the two
    # cores and catches up afterwards (the inbox is there for exactly that); a second process makes
    # it compete with them (docs/benchmarks.md has both).
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="run the Celery worker at this nice level (processing yields the CPU to acks)")
    parser.add_argument("--no-worker", action="store_true",
                        help="acknowledgement only: no worker during the run (one is started afterwards to drain)")
    args = parser.parse_args()

    with database() as url:
        env = base_env(url, WEBHOOK_SWEEP_INTERVAL_SECONDS="5")
        manage(env, "migrate", "--noinput")
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "MONNIFY_SECRET_KEY")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cozonpay.settings")
        import django

        django.setup()
        from django.db import connection

        from webhooks.models import WebhookEvent, WebhookStatus

        with connection.cursor() as cursor:  # earlier runs' dead rows (see bench_ledger.vacuum_updated_tables)
            cursor.execute("VACUUM ANALYZE webhooks_webhookevent")

        run = f"{int(time.time())}{os.getpid()}"
        run_prefix = f"MNFY|99|{run}|"
        bodies = signed_bodies(int(args.seconds * 2000) + 1000, env["MONNIFY_SECRET_KEY"], run)
        port = free_port()
        with Processes() as procs:
            gunicorn(procs, env, port, workers=args.web_workers, threads=args.web_threads)
            if not args.no_worker:
                celery_worker(procs, env, concurrency=args.worker_concurrency, nice=args.worker_nice)
            acked: set[int] = set()

            def make_request(i: int):
                body, signature = bodies[i % len(bodies)]
                return "POST", "/webhooks/monnify", {"Content-Type": "application/json",
                                                     "monnify-signature": signature}, body

            def on_response(i: int, status: int, payload: bytes) -> None:
                if status == 200:
                    acked.add(i % len(bodies))

            web = procs.procs[0].pid  # process group leaders
            worker = None if args.no_worker else procs.procs[1].pid

            def worker_cpu_seconds() -> float:
                return process_group_cpu_seconds(worker) if worker else 0.0

            def cpu() -> tuple:
                return (process_group_cpu_seconds(web), worker_cpu_seconds(), os.times(), machine_cpu_seconds())

            cpu0 = cpu()
            with client_priority():
                result = run_load("127.0.0.1", port, concurrency=args.concurrency, seconds=args.seconds,
                                  make_request=make_request, on_response=on_response)
            cpu1 = cpu()
            if args.no_worker:  # now drain what was acknowledged
                celery_worker(procs, env, concurrency=args.worker_concurrency, nice=args.worker_nice)
                worker = procs.procs[1].pid
            summary = result.summary()
            n = max(1, sum(result.statuses.values()))
            busy, total = (cpu1[3][0] - cpu0[3][0]), (cpu1[3][1] - cpu0[3][1])
            emit({"system": "webhooks.ack", "senders": args.concurrency, "seconds": round(result.seconds, 2),
                  "acknowledged_per_s": summary["ok_rps"], "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"],
                  "by_status": summary["by_status"], "errors": summary["errors"],
                  "web": f"gunicorn gthread {args.web_workers}x{args.web_threads}",
                  "cpu_ms_per_webhook": {
                      "web": round(1000 * (cpu1[0] - cpu0[0]) / n, 2),
                      "worker_during_run": round(1000 * (cpu1[1] - cpu0[1]) / n, 2),
                      "load_generator": round(1000 * ((cpu1[2].user + cpu1[2].system)
                                                      - (cpu0[2].user + cpu0[2].system)) / n, 2)},
                  "machine_cpu_busy_pct": round(100 * busy / total, 1) if total else None})
            started = time.monotonic()
            pending = (WebhookStatus.RECEIVED, WebhookStatus.PROCESSING, WebhookStatus.FAILED)
            deadline = started + 600
            while time.monotonic() < deadline:
                left = WebhookEvent.objects.filter(reference__startswith=run_prefix, status__in=pending).count()
                if left == 0:
                    break
                time.sleep(0.5)
            drain = time.monotonic() - started
            worker_cpu = worker_cpu_seconds() - cpu0[1]
            stored = WebhookEvent.objects.filter(reference__startswith=run_prefix).count()
            by_status = dict(
                WebhookEvent.objects.filter(reference__startswith=run_prefix).values_list("status")
                .annotate(__import__("django.db.models", fromlist=["Count"]).Count("id"))
            )
            emit({"system": "webhooks.drain", "drain_seconds": round(drain, 2), "acknowledged_unique": len(acked),
                  "stored": stored, "lost": len(acked) - stored if len(acked) > stored else 0,
                  "worker_cpu_ms_per_webhook": round(1000 * worker_cpu / max(1, stored), 2),
                  "inbox_by_status": by_status})


if __name__ == "__main__":
    main()
