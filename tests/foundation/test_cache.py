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
