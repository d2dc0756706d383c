"""make bench-api: the public API under gunicorn (as the Procfile serves it) against the ledger's
own transfer service, in one invocation on one PostgreSQL.

1. seed: 100 tier-3 customers with funded wallets, a PIN each, and a JWT access token each;
2. the ledger benchmark's **spread** run (scripts/bench_ledger.py `run_transfers`: W worker
   processes calling `wallets.services.transfer` directly), before the web server starts, so the
   two runs do not share the CPU;
3. gunicorn serving `cozonpay.wsgi` as the Procfile's web process does with `WEB_WORKER_CLASS=sync
   WEB_THREADS=1 WEB_CONCURRENCY=4` (--web-workers, --web-threads; more than one thread is the
   Procfile's gthread: measured slower at the tail, see docs/benchmarks.md); then C asyncio
   keep-alive clients (scripts/loadgen.py) for S seconds each:
   `POST /api/v1/transfers` (fresh Idempotency-Key per request, random pairs of customers, real
   PIN check, limits, Transfer row, outbox event, idempotency record), then `GET /api/v1/wallets/{id}`;
4. the spread run again, after the web server has stopped;
5. one JSON line per run (requests/s, p50, p99, answers by status, transport errors), then the
   ratio of API transfers/s to the mean of the two spread runs that bracket it (the machine's
   speed drifts within minutes; target >= 0.35, p99 < 100 ms).

No Celery worker runs (the outbox doorbell is only rung: the notifications are not sent during the
run). Throttles are raised for the run (THROTTLE_MONEY / THROTTLE_USER), since 16 clients over 100
customers exceed the production per-user money rate by design.

    python scripts/bench_api.py [--seconds 15] [--concurrency 16] [--web-workers 4] [--ledger-workers 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import (
    Processes,
    base_env,
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

CUSTOMERS = 100
FUNDING = 50_000_000_000
PIN = "4321"


def seed() -> list[dict]:
    """Customers with funded wallets, a PIN and a token. The PIN is written with the same keyed
    hash `pin_set` uses (skipping the password proof, which only costs time here)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from audit.services import Actor
    from cozonpay.users import pin as pin_hashing
    from cozonpay.users.models import User
    from wallets.models import LedgerAccount
    from wallets.services import wallet_credit_from_provider, wallet_open

    customers = []
    for i in range(CUSTOMERS):
        user, _ = User.objects.get_or_create(email=f"apibench{i:03d}@bench.cozonpay.local",
                                             defaults={"first_name": "Bench", "last_name": f"Api{i}", "kyc_tier": 3,
                                                       "phone_number": f"+2348090{i:06d}"})
        salt = pin_hashing.new_salt()
        User.objects.filter(pk=user.pk).update(kyc_tier=3, pin_salt=salt, pin_hash=pin_hashing.pin_digest(PIN, salt),
                                               pin_failed_attempts=0, pin_locked_until=None)
        wallet = wallet_open(user=user)
        if wallet.balance < FUNDING // 2:
            wallet_credit_from_provider(wallet=wallet, amount=FUNDING, reference=f"apibench:fund:{uuid.uuid4()}",
                                        actor=Actor.system("bench"))
        LedgerAccount.objects.filter(pk=wallet.pk).update(outflow_total=0)
        customers.append({"email": user.email, "wallet": str(wallet.public_id),
                          "token": str(RefreshToken.for_user(user).access_token)})
    return customers


def cpu_now(web_pgid: int) -> tuple:
    return process_group_cpu_seconds(web_pgid), os.times(), machine_cpu_seconds()


def cpu_line(before: tuple, after: tuple, requests: int) -> dict:
    """CPU per request, by who spent it: the gunicorn workers, this load generator, and the rest
    of the machine (PostgreSQL, Redis, the kernel), with how busy the cores were."""
    n = max(1, requests)
    web = after[0] - before[0]
    load = (after[1].user + after[1].system) - (before[1].user + before[1].system)
    busy, total = after[2][0] - before[2][0], after[2][1] - before[2][1]
    return {"cpu_ms_per_request": {"web": round(1000 * web / n, 2), "load_generator": round(1000 * load / n, 2),
                                   "rest_of_machine": round(1000 * (busy - web - load) / n, 2)},
            "machine_cpu_busy_pct": round(100 * busy / total, 1) if total else None}


def summary_line(system: str, result, concurrency: int, cpu: dict | None = None) -> dict:
    s = result.summary()
    return {"system": system, "clients": concurrency, "seconds": round(result.seconds, 2), "requests": s["requests"],
            "rps": s["rps"], "ok_rps": s["ok_rps"], "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
            "by_status": s["by_status"], "errors": s["errors"], **(cpu or {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("S", 15)))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("C", 16)))
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument("--ledger-workers", type=int, default=int(os.environ.get("W", 8)))
    args = parser.parse_args()

    with database() as url:
        env = base_env(url, THROTTLE_MONEY="100000000/min", THROTTLE_USER="100000000/min",
                       JWT_ACCESS_MINUTES="120")
        manage(env, "migrate", "--noinput")
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "LOG_LEVEL")})
        for key in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_FILESYSTEM_BROKER_DIR", "JWT_ACCESS_MINUTES"):
            if key in env:
                os.environ[key] = env[key]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cozonpay.settings")
        import django

        django.setup()
        import bench_ledger  # the ledger benchmark's own spread run (its import reuses this Django setup)
        from django.db import connections

        customers = seed()
        emit({"database": url.rsplit("@", 1)[-1], "cpus": os.cpu_count(), "customers": len(customers)})

        wallet_ids = bench_ledger.bench_wallets()
        bench_ledger.vacuum_updated_tables()
        spread = bench_ledger.run_transfers("ledger-transfer-spread", wallet_ids, None,
                                            args.ledger_workers, args.seconds)
        emit(spread)
        connections.close_all()

        bench_ledger.vacuum_updated_tables()
        connections.close_all()
        port = free_port()
        with Processes() as procs:
            gunicorn(procs, env, port, workers=args.web_workers, threads=args.web_threads)
            rng = random.Random(7)

            def transfer_request(i: int):
                source = rng.randrange(len(customers))
                target = rng.randrange(len(customers) - 1)
                target += target >= source
                body = json.dumps({"source_wallet": customers[source]["wallet"],
                                   "recipient": customers[target]["email"], "amount": rng.randint(100, 1_000),
                                   "narration": "bench", "pin": PIN}).encode()
                return "POST", "/api/v1/transfers", {
                    "Content-Type": "application/json", "Authorization": f"Bearer {customers[source]['token']}",
                    "Idempotency-Key": str(uuid.uuid4())}, body

            def wallet_request(i: int):
                who = customers[rng.randrange(len(customers))]
                return "GET", f"/api/v1/wallets/{who['wallet']}", {"Authorization": f"Bearer {who['token']}"}, b""

            # Warm up each worker on both kinds of request before measuring: the first transfer in a
            # process imports the task modules, opens the broker connection and prepares its
            # statements (about a second of CPU per worker, otherwise counted in the measured run).
            run_load("127.0.0.1", port, concurrency=args.concurrency, seconds=3, make_request=transfer_request)
            run_load("127.0.0.1", port, concurrency=args.concurrency, seconds=1, make_request=wallet_request)
            web = procs.procs[0].pid  # the gunicorn process group's leader
            before = cpu_now(web)
            with client_priority():
                transfers = run_load("127.0.0.1", port, concurrency=args.concurrency, seconds=args.seconds,
                                     make_request=transfer_request)
            api = summary_line("api-post-transfers", transfers, args.concurrency,
                               cpu_line(before, cpu_now(web), sum(transfers.statuses.values())))
            emit(api)
            before = cpu_now(web)
            with client_priority():
                reads = run_load("127.0.0.1", port, concurrency=args.concurrency, seconds=args.seconds,
                                 make_request=wallet_request)
            emit(summary_line("api-get-wallet", reads, args.concurrency,
                              cpu_line(before, cpu_now(web), sum(reads.statuses.values()))))
        # The spread run again, right after the API's: the machine's speed drifts within minutes, and
        # the ratio divides by the mean of the two runs that bracket the API's, not by one of them.
        connections.close_all()
        bench_ledger.vacuum_updated_tables()
        spread_after = bench_ledger.run_transfers("ledger-transfer-spread-after", wallet_ids, None,
                                                  args.ledger_workers, args.seconds)
        emit(spread_after)
        service_tps = (spread["tps"] + spread_after["tps"]) / 2
        ratio = round(api["ok_rps"] / service_tps, 3) if service_tps else None
        emit({"ratio_api_transfers_to_ledger_spread": ratio, "ledger_spread_tps_mean": round(service_tps, 1),
              "api_transfers_p99_ms": api["p99_ms"], "targets": {"ratio": 0.35, "p99_ms": 100}})


if __name__ == "__main__":
    main()
