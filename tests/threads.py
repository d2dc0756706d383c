"""Run calls in real threads released together, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def together(count: int, call: Callable[[int], Any], *, timeout: float = 120.0) -> list:
    """Call `call(i)` for i in range(count) in `count` threads started by one barrier; each thread
    closes its own database connection. Returns the results in order; a call that raised gives its
    exception object in its place (the caller asserts on it)."""
    from django.db import connection

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call(i)
        except Exception as exc:  # handed back to the caller's assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "threads still running at the deadline"
    return results
