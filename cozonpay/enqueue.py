"""Enqueue Celery work without ever failing the caller.

The database is the truth and Redis only the doorbell: every queued job also exists as a row that
a beat sweeper re-dispatches. So when the broker is down, a request that committed its row must
still succeed; we log, remember the outage for a few seconds (so a burst of requests does not each
wait on a dead broker), and let the sweeper ring the bell later.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("cozonpay.enqueue")

_broker_down_until = 0.0
_lock = threading.Lock()
BROKER_BACKOFF_SECONDS = 5.0


def safe_enqueue(task, *, args: tuple = (), countdown: float | None = None, queue: str | None = None) -> bool:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        options = {"retry": False}
        if countdown:
            options["countdown"] = countdown
        if queue:
            options["queue"] = queue
        task.apply_async(args=args, **options)
        return True
    except Exception as exc:  # broker unreachable: the sweeper will pick the row up
        with _lock:
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("enqueue failed; the sweeper will retry", extra={"task": task.name, "error": repr(exc)})
        return False


def reset_broker_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0
