"""A small timer wheel with worker threads: webhook deliveries (with their delays, shuffles and
retries) and delayed settlements (async transfers, refunds) run here, off the request threads.
``stop()`` wakes everything and joins; nothing outlives the sandbox."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("payments.sandbox")


class Scheduler:
    def __init__(self, workers: int = 4):
        self._heap: list[tuple[float, int, int, Callable[[], None]]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._generation = 0
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._run, name=f"sandbox-scheduler-{i}", daemon=True) for i in range(workers)
        ]
        self.stop_event = threading.Event()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def call_later(self, delay_s: float, job: Callable[[], None]) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay_s), next(self._seq), self._generation, job))
            self._cond.notify()

    def clear(self) -> None:
        """Forget every pending job (sandbox reset)."""
        with self._cond:
            self._heap.clear()
            self._generation += 1

    @property
    def generation(self) -> int:
        return self._generation

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        _, _, generation, job = heapq.heappop(self._heap)
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
            if generation != self._generation:
                continue
            try:
                job()
            except Exception:
                logger.exception("sandbox job failed")

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
