"""The API's own cost per request, without the HTTP server, the load generator or the machine's drift.

Runs requests through the WSGI app in this process (every middleware, DRF, the app, real PostgreSQL
and Redis), on the bench-api customers (seeded when missing), and prints the CPU per request. With
--instructions it runs itself under `valgrind --tool=callgrind` twice, with no measured requests and
with N of them, and prints the instructions per request: the same figure for the same code whatever
else the machine is doing. Use it to compare two commits on a noisy machine (docs/benchmarks.md).

    DATABASE_URL=... REDIS_URL=... python scripts/api_inprocess.py --kind post --requests 500
    DATABASE_URL=... REDIS_URL=... python scripts/api_inprocess.py --kind get --requests 100 --instructions

The database must be migrated (`make bench-api` against it once, or `manage.py migrate`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import base_env

WARM_UP = 20


def environ(kind: str, customer: dict, target: dict, rng: random.Random, pin: str) -> dict:
    if kind == "post":
        body = json.dumps({"source_wallet": customer["wallet"], "recipient": target["email"],
                           "amount": rng.randint(100, 1_000), "narration": "bench", "pin": pin}).encode()
        method, path = "POST", "/api/v1/transfers"
        extra = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "CONTENT_TYPE": "application/json"}
    else:
        body, method, path, extra = b"", "GET", f"/api/v1/wallets/{customer['wallet']}", {}
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {customer['token']}", **extra}


def run_requests(kind: str, requests: int) -> None:
    os.environ.update({k: v for k, v in base_env(os.environ["DATABASE_URL"], THROTTLE_MONEY="100000000/min",
                                                 THROTTLE_USER="100000000/min", JWT_ACCESS_MINUTES="120").items()
                       if k not in os.environ or k.startswith(("THROTTLE_", "JWT_"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cozonpay.settings")
    import django

    django.setup()
    import bench_api
    from django.core.handlers.wsgi import WSGIHandler

    customers = bench_api.seed()
    app = WSGIHandler()
    rng = random.Random(7)
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def run(n: int) -> None:
        for _ in range(n):
            source = rng.randrange(len(customers))
            target = (source + 1 + rng.randrange(len(customers) - 1)) % len(customers)
            response = app(environ(kind, customers[source], customers[target], rng, bench_api.PIN), start_response)
            b"".join(response)
            response.close()

    run(WARM_UP)
    cpu, wall = time.process_time(), time.perf_counter()
    run(requests)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"kind": kind, "requests": requests, "cpu_ms_per_request": round(1000 * cpu / max(1, requests), 3),
                      "wall_ms_per_request": round(1000 * wall / max(1, requests), 3), "statuses": statuses}))


def instructions(kind: str, requests: int) -> int:
    """Instructions of this process for `requests` requests (after the warm-up), from two runs
    under callgrind: with the requests and without them."""
    totals = []
    for n in (0, requests):
        with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", sys.executable,
                            __file__, "--kind", kind, "--requests", str(n)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONHASHSEED": "0"})
            totals.append(int(re.search(rb"^(?:summary|totals): (\d+)", Path(out.name).read_bytes(), re.M).group(1)))
    return (totals[1] - totals[0]) // requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--kind", choices=["post", "get"], default="post")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must name a migrated database (see the docstring).")
    if args.instructions:
        print(json.dumps({"kind": args.kind, "requests": args.requests,
                          "instructions_per_request": instructions(args.kind, args.requests)}))
    else:
        run_requests(args.kind, args.requests)


if __name__ == "__main__":
    main()
