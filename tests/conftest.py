import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_ledger_guards(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Transactional tests end with a TRUNCATE of every table, which the ledger's append-only
    triggers refuse (as they should). Test teardown alone runs it with triggers off, for that one
    transaction (SET LOCAL; needs a superuser, which the test database has)."""
    statements = _sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements


DatabaseOperations.sql_flush = _sql_flush_past_ledger_guards


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


from tests.worker import worker_process  # noqa: E402,F401 - the real Celery worker fixture (tests/worker.py)
