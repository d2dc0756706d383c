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


def test_counter_through_the_default_cache_proxy_is_one_multi(settings, monkeypatch):
    # given: the default cache on Redis, reached through django.core.cache.cache (as DRF's throttles do)
    import redis.client
    from django.core.cache import cache, caches

    from cozonpay.cache import counter_increment

    settings.CACHES = {"default": {"BACKEND": "cozonpay.cache.SharedClientRedisCache",
                                   "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "test-counter-proxy"}}
    assert isinstance(caches["default"], SharedClientRedisCache)
    sent = []
    real_execute = redis.client.Pipeline.execute
    monkeypatch.setattr(redis.client.Pipeline, "execute",
                        lambda self, *a, **k: sent.append(len(self.command_stack)) or real_execute(self, *a, **k))
    monkeypatch.setattr(type(caches["default"]), "incr", lambda *a, **k: pytest.fail("the non-atomic path ran"))
    # when
    first = counter_increment(cache, "proxied", 60, also_read="previous")
    second = counter_increment(cache, "proxied", 60, also_read="previous")
    # then: each call was one MULTI of SET NX EX, INCR and GET, and the counter lives 60 s
    assert (first, second) == ((1, 0), (2, 0))
    assert sent == [3, 3]
    client = caches["default"]._cache.get_client("x")
    assert 0 < client.ttl(caches["default"].make_and_validate_key("proxied")) <= 60
    cache.delete("proxied")
