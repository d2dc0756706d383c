import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttles and rate limits live in the cache; no test may inherit another's counters."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
