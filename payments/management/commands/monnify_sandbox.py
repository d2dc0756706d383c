"""``python manage.py monnify_sandbox --port 9000``: the local Monnify, a separate process.

Initial config comes from settings/environment so ``make run`` needs no extra calls: API key,
secret key, contract code and wallet account from ``MONNIFY_*``; the webhook target from
``MONNIFY_SANDBOX_WEBHOOK_URL`` (or ``--webhook-url``). Everything else through
``PATCH /sandbox/config``. Binds to loopback only. Stops cleanly on SIGINT and SIGTERM.
"""

from __future__ import annotations

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.sandbox.server import SandboxServer, is_loopback


class Command(BaseCommand):
    help = "Run the local Monnify sandbox (Monnify's API + a control API under /sandbox/)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 9000)))
        parser.add_argument("--host", default="127.0.0.1", help="loopback only: 127.0.0.1, ::1 or localhost")
        parser.add_argument("--webhook-url", default=os.environ.get("MONNIFY_SANDBOX_WEBHOOK_URL", ""))
        parser.add_argument("--wallet-balance", default=os.environ.get("MONNIFY_SANDBOX_WALLET_BALANCE"))
        parser.add_argument("--webhook-retry-interval", type=float,
                            default=os.environ.get("MONNIFY_SANDBOX_WEBHOOK_RETRY_INTERVAL_S"),
                            help="seconds between webhook retries (Monnify: 300)")
        parser.add_argument("--seed", type=int, default=None, help="seed the fault dice")
        parser.add_argument("--state-file", default=os.environ.get("MONNIFY_SANDBOX_STATE_FILE", ""),
                            help="keep reserved accounts across restarts in this JSON file (Monnify remembers them)")

    def handle(self, *args, **options):
        host = options["host"]
        if not is_loopback(host):
            raise CommandError(f"refusing to bind the Monnify sandbox to {host}: loopback only")
        config = {
            "api_key": settings.MONNIFY_API_KEY,
            "secret_key": settings.MONNIFY_SECRET_KEY,
            "contract_code": settings.MONNIFY_CONTRACT_CODE,
            "wallet_account_number": settings.MONNIFY_WALLET_ACCOUNT_NUMBER,
            "webhook_url": options["webhook_url"] or "",
            "wallet_balance": options["wallet_balance"],
            "seed": options["seed"],
        }
        if options["webhook_retry_interval"] is not None:
            interval_seconds = float(options["webhook_retry_interval"])
            config["webhook_retry"] = {"attempts": 12, "interval_s": interval_seconds}
        server = SandboxServer(host=host, port=options["port"], **config)
        stop = threading.Event()

        def _stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        server.start()
        state_file = options["state_file"]
        if state_file:
            _load_reserved(server.sandbox, state_file)
        self.stdout.write(f"Monnify sandbox listening on {server.url} (webhooks -> {config['webhook_url'] or 'none'})")
        self.stdout.flush()
        saved = None
        try:
            while not stop.wait(0.2):  # short waits keep the main thread responsive to signals
                if state_file:
                    saved = _save_reserved(server.sandbox, state_file, saved)
        finally:
            if state_file:
                _save_reserved(server.sandbox, state_file, saved)
            server.stop()
            self.stdout.write("Monnify sandbox stopped")


def _load_reserved(sandbox, path: str) -> None:
    """Reserved accounts are permanent at Monnify; the local one keeps them in a file so that the
    dedicated accounts our database knows still exist after `make run` restarts."""
    import json
    from datetime import datetime
    from pathlib import Path

    file = Path(path)
    if not file.exists():
        return
    with sandbox.lock:
        for reserved in json.loads(file.read_text()):
            reserved["created_at"] = datetime.fromisoformat(reserved["created_at"])
            sandbox.reserved[reserved["accountReference"]] = reserved
            for account in reserved["accounts"]:
                sandbox.account_index[account["accountNumber"]] = ("reserved", reserved["accountReference"])


def _save_reserved(sandbox, path: str, previous: str | None) -> str:
    import json
    from pathlib import Path

    with sandbox.lock:
        snapshot = json.dumps(list(sandbox.reserved.values()), default=str, sort_keys=True)
    if snapshot != previous:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp")
        tmp.write_text(snapshot)
        tmp.replace(file)
    return snapshot
