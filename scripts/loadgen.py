"""A small asyncio HTTP/1.1 load generator with keep-alive connections.

One process, one event loop, raw streams: it spends far less CPU per request than the server it
measures, so on a 2-core machine most of the CPU goes to the system under test. Used by the
benchmarks (never by tests).

    results = run_load(host, port, concurrency=16, seconds=15, make_request=lambda i: (method, path, headers, body))
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], tuple[str, str, dict[str, str], bytes]]


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))
        return ordered[index]

    def summary(self) -> dict:
        total = sum(self.statuses.values())
        return {
            "requests": total,
            "rps": round(total / self.seconds, 1) if self.seconds else 0,
            "ok_rps": round(self.ok / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
            "by_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    close = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body, close
    return status, (await reader.readexactly(length) if length else b""), close


async def _worker(host, port, deadline, make_request: RequestFactory, counter, result: LoadResult, on_response):
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError as exc:
                result.errors[type(exc).__name__] += 1
                await asyncio.sleep(0.05)
                continue
        index = next(counter)
        method, path, headers, body = make_request(index)
        head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        started = time.perf_counter()
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await writer.drain()
            status, payload, close = await _read_response(reader)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            result.errors[type(exc).__name__] += 1
            writer.close()
            reader = writer = None
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.statuses[status] += 1
        if on_response:
            on_response(index, status, payload)
        if close:  # e.g. gunicorn's sync workers: one request per connection
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def run_load(host: str, port: int, *, concurrency: int, seconds: float, make_request: RequestFactory,
             on_response: Callable[[int, int, bytes], None] | None = None) -> LoadResult:
    import itertools

    async def main() -> LoadResult:
        result = LoadResult(seconds=seconds)
        counter = itertools.count()
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*[
            _worker(host, port, deadline, make_request, counter, result, on_response) for _ in range(concurrency)
        ])
        result.seconds = time.monotonic() - started
        return result

    return asyncio.run(main())
