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
from collections.abc import Callable

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


class Doorbell:
    """One coalesced task per process per window, for work that a drain task finds by querying
    (new webhooks, new outbox runs): at most one `task` every `window()` seconds, scheduled to start
    when that window closes. A ring suppressed inside the window comes from an on_commit hook, so its
    row is committed before the window closes, hence before the drain's first query: nothing waits
    for the sweeper. One task per window instead of one per row spares the caller a broker publish
    per request and the worker Celery's per-task overhead. If the enqueue fails, the window is not
    taken and the next ring tries again (the sweeper is the net)."""

    def __init__(self, task_path: str, window: Callable[[], float]):
        """`task_path`: the dotted path of the task object (imported on first ring, so that a web
        process which never imported the tasks module still finds it)."""
        self._task_path = task_path
        self._window = window
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def ring(self) -> None:
        window = self._window()
        now = time.monotonic()
        with self._lock:
            if now < self._quiet_until:
                return
            self._quiet_until = now + window
        from django.utils.module_loading import import_string

        if not safe_enqueue(import_string(self._task_path), countdown=window or None):
            with self._lock:
                self._quiet_until = 0.0

    def reset(self) -> None:
        with self._lock:
            self._quiet_until = 0.0


def drain(*, claim: Callable[[], list], run: Callable[[object], object], requeue: Callable[[], object],
          budget_seconds: float) -> int:
    """The loop of a drain task: claim a batch, run each item, until a claim finds nothing (returns
    how many ran) or the time budget is spent (then `requeue()` queues the next drain, so that one
    task never holds a worker for long)."""
    deadline = time.monotonic() + budget_seconds
    done = 0
    while True:
        batch = claim()
        if not batch:
            return done
        for item in batch:
            run(item)
            done += 1
        if time.monotonic() > deadline:
            requeue()
            return done
