import os

import pytest

from cozonpay.cache import SharedClientRedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")


def test_one_redis_client_per_pool_serves_every_call():
    # given: the backend on the test's own Redis database
    cache = SharedClientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-shared-client"})
    # when
    cache.set("k", 41)
    cache.incr("k")
    # then: values round-trip, and every call used the same client object
    assert cache.get("k") == 42
    assert cache._cache.get_client("k") is cache._cache.get_client("other", write=True)
    cache.delete("k")
    assert cache.get("k") is None


@pytest.fixture
def redis_default_cache(settings):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "cozonpay.cache.SharedClientRedisCache",
                                   "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "test-counter-proxy"}}
    backend = caches["default"]
    assert isinstance(backend, SharedClientRedisCache)
    backend.delete_many(["proxied", "previous", "concurrent"])
    yield backend
    backend.delete_many(["proxied", "previous", "concurrent"])


def test_counter_through_the_default_cache_proxy_is_one_command(redis_default_cache, monkeypatch):
    # given: the default cache on Redis, reached through django.core.cache.cache (as DRF's throttles do)
    import redis.client
    from django.core.cache import cache

    from cozonpay.cache import counter_increment

    sent = []
    real_execute = redis.client.Redis.execute_command
    monkeypatch.setattr(redis.client.Redis, "execute_command",
                        lambda self, *args, **kw: sent.append(args[0]) or real_execute(self, *args, **kw))
    monkeypatch.setattr(type(redis_default_cache), "incr", lambda *a, **k: pytest.fail("the non-atomic path ran"))
    # when: two increments, then the previous window holds 7
    first = counter_increment(cache, "proxied", 60, also_read="previous")
    second = counter_increment(cache, "proxied", 60, also_read="previous")
    redis_default_cache.set("previous", 7)
    third = counter_increment(cache, "proxied", 60, also_read="previous")
    # then: each call was one round trip (the script, loaded once), and the counter lives 60 s
    assert (first, second, third) == ((1, 0), (2, 0), (3, 7))
    scripted = [command for command in sent if command != "SET"]  # SET: the test's own write
    assert scripted.count("EVALSHA") - scripted.count("SCRIPT LOAD") == 3  # a miss costs a load and a retry, once
    assert set(scripted) <= {"EVALSHA", "SCRIPT LOAD"} and scripted.count("SCRIPT LOAD") <= 1
    client = redis_default_cache._cache.get_client("x")
    assert 0 < client.ttl(redis_default_cache.make_and_validate_key("proxied")) <= 60
    # and the counter is the integer Django's cache reads back
    assert redis_default_cache.get("proxied") == 3


def test_counter_on_redis_gives_each_concurrent_caller_its_own_value(redis_default_cache):
    from cozonpay.cache import counter_increment
    from tests.threads import together

    values = together(40, lambda i: counter_increment(redis_default_cache, "concurrent", 60)[0])
    assert sorted(values) == list(range(1, 41))
    assert redis_default_cache.get("concurrent") == 40
