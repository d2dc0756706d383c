"""The Redis cache backend: one `redis.Redis` per connection pool, and a cache that degrades
instead of failing the request while Redis is unreachable.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and each one builds
redis-py's response-callback table (~200 entries): about 0.15 ms of CPU per call, on every API
request (the throttles). A `redis.Redis` only borrows connections from its pool and is safe to
share between threads, so one per pool serves every call.

Redis holds nothing CozonPay cannot lose (DESIGN.md: "Redis is a doorbell, PostgreSQL is the
truth"): rate counters, dedupe markers, the bank list. So an unreachable Redis must not turn every
request into a 500. While it is unreachable, `get` misses, `set` and `delete` are dropped, and
`add` answers True (the operations CozonPay uses; the others still raise): a once-per-window guard
(an alert's dedupe, a rejection record, a verify nudge) acts at least once rather than never.
Nothing here uses the cache as a lock, and nothing may. After a failure, the process leaves Redis
alone for RETRY_AFTER_SECONDS, so a Redis that does not answer costs one connect timeout per
window, not one per request, and the outage is logged once per window. Throttles count through
`counter_increment`, which raises `CacheUnavailable` instead: each throttle decides whether to let
the request through (cozonpay.throttling).
"""

from __future__ import annotations

import logging
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache_proxy
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("cozonpay.cache")

RETRY_AFTER_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class CacheUnavailable(Exception):
    """Redis did not answer (now, or within the last RETRY_AFTER_SECONDS)."""


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._down_until = 0.0

    def reachable(self) -> bool:
        """False for RETRY_AFTER_SECONDS after a call found Redis unreachable."""
        return time.monotonic() >= self._down_until

    def unreachable(self, error: Exception, operation: str) -> None:
        if self.reachable():
            logger.error("Redis unreachable: the cache degrades (reads miss, writes are dropped) for %ss",
                         RETRY_AFTER_SECONDS, extra={"operation": operation, "error": repr(error)})
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _unless_unreachable(self, operation: str, call, fallback):
        """`call()`, or `fallback` while Redis is unreachable (see the module docstring)."""
        if self.reachable():
            try:
                return call()
            except UNREACHABLE as error:
                self.unreachable(error, operation)
        return fallback

    def get(self, key, default=None, version=None):
        return self._unless_unreachable("get", lambda: RedisCache.get(self, key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._unless_unreachable("set", lambda: RedisCache.set(self, key, value, timeout, version), None)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # True: at least once rather than never
        return self._unless_unreachable("add", lambda: RedisCache.add(self, key, value, timeout, version), True)

    def delete(self, key, version=None):
        return self._unless_unreachable("delete", lambda: RedisCache.delete(self, key, version), False)


# One command instead of a MULTI of three: redis-py's transaction pipeline costs several times the
# CPU of a single EVALSHA, and a throttle runs on every API request. Atomic as any script is.
_COUNTER_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local other = 0
if KEYS[2] then other = tonumber(redis.call('GET', KEYS[2]) or '0') or 0 end
return {count, other}
"""
_counter_scripts: dict[int, object] = {}


def _counter_script(client):
    script = _counter_scripts.get(id(client))
    if script is None:
        script = _counter_scripts.setdefault(id(client), client.register_script(_COUNTER_LUA))
    return script


def counter_increment(cache, key: str, timeout: int, *, also_read: str | None = None) -> tuple[int, int]:
    """Add one to the counter `key` (created at 0 with `timeout` seconds to live) and return
    (its new value, the value of the counter `also_read`, 0 when absent), atomically: concurrent
    callers each get their own value. On Redis, one script (INCR, EXPIRE when it was just
    created, GET) in one round trip; Django's own `incr` checks existence first, and a key that
    expired between the two calls would be re-created without a time to live. Elsewhere (tests'
    local memory), `add` then `incr`, each under the backend's lock.

    `cache` may be `django.core.cache.cache` (what DRF's throttles hold): that is a proxy to this
    thread's default backend, not the backend, so it is resolved first. Raises CacheUnavailable
    when Redis does not answer: a counter cannot be guessed, the caller decides."""
    if cache is default_cache_proxy:
        cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, SharedClientRedisCache):
        if not cache.reachable():
            raise CacheUnavailable()
        redis_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(redis_key, write=True)
        keys = [redis_key] if also_read is None else [redis_key, cache.make_and_validate_key(also_read)]
        try:
            count, other = _counter_script(client)(keys=keys, args=[timeout])
        except UNREACHABLE as error:
            cache.unreachable(error, "counter")
            raise CacheUnavailable() from error
        return int(count), int(other)
    cache.add(key, 0, timeout)
    return cache.incr(key), int(cache.get(also_read) or 0) if also_read is not None else 0
