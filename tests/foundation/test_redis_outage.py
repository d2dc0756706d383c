"""Redis unreachable: the cache degrades instead of failing requests (cozonpay.cache), the request
rate limits let requests through, and the per-account login limit refuses as throttled
(cozonpay.throttling). Nothing here needs a Redis: port 1 refuses every connection."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cozonpay import cache as cache_module
from cozonpay.cache import RETRY_AFTER_SECONDS, CacheUnavailable, SharedClientRedisCache, counter_increment
from tests.factories import CUSTOMER_PASSWORD, CUSTOMER_PIN, make_customer
from wallets.models import LedgerAccount, Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {"BACKEND": "cozonpay.cache.SharedClientRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    backend = caches["default"]
    assert isinstance(backend, SharedClientRedisCache)
    return backend


@pytest.fixture(autouse=True)
def _clear_cache():
    """Overrides the suite's fixture of the same name: there is no cache to clear here."""
    yield


@pytest.fixture
def clock(monkeypatch):
    now = [1_000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    return now


def test_the_cache_degrades_and_leaves_redis_alone_for_a_window(redis_down, clock, monkeypatch, caplog):
    # given: every attempt to reach Redis is counted
    attempts = []
    client_class = type(redis_down._cache.get_client("k"))
    real = client_class.execute_command
    monkeypatch.setattr(client_class, "execute_command",
                        lambda self, *a, **k: attempts.append(a[0]) or real(self, *a, **k))
    caplog.set_level(logging.ERROR, logger="cozonpay.cache")
    # when / then: reads miss, writes are dropped, add lets the guarded action happen
    assert redis_down.get("k", "fallback") == "fallback"
    assert redis_down.set("k", 1) is None
    assert redis_down.add("k", 1) is True
    assert redis_down.delete("k") is False
    with pytest.raises(CacheUnavailable):
        counter_increment(redis_down, "counter", 60)
    # one attempt (the first get) for the whole window, and one error logged
    assert attempts == ["GET"]
    assert [r.getMessage() for r in caplog.records].count(
        f"Redis unreachable: the cache degrades (reads miss, writes are dropped) for {RETRY_AFTER_SECONDS}s") == 1
    # when the window has passed, the next call tries Redis again
    clock[0] += RETRY_AFTER_SECONDS
    assert redis_down.get("k") is None
    assert attempts == ["GET", "GET"]


def test_the_api_stays_up_and_moves_money_once(redis_down):
    # given
    alice, bob = make_customer(balance=1_000_000), make_customer(balance=0, first_name="Bola")
    token = APIClient().post("/api/v1/auth/token/refresh", {"refresh": _refresh_token(alice)}, format="json")
    assert token.status_code == 200, token.content  # the refresh path's IP limit lets it through
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    # when
    wallets = client.get("/api/v1/wallets")
    body = {"source_wallet": str(alice.wallet.public_id), "recipient": bob.email, "amount": 10_000, "pin": CUSTOMER_PIN}
    key = str(uuid.uuid4())
    first = client.post("/api/v1/transfers", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    replay = client.post("/api/v1/transfers", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    # then: answered, and one transfer moved the money
    assert wallets.status_code == 200 and wallets.json()[0]["balance"] == 1_000_000
    assert first.status_code == 201, first.content
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.content == first.content
    transfer = Transfer.objects.get()
    balances = dict(LedgerAccount.objects.filter(pk__in=[alice.wallet.pk, bob.wallet.pk]).values_list("pk", "balance"))
    assert balances == {alice.wallet.pk: 1_000_000 - 10_000 - transfer.fee, bob.wallet.pk: 10_000}


def test_a_password_login_is_refused_as_throttled_and_nothing_is_checked(redis_down):
    # given
    alice = make_customer()
    audit_rows = AuditEvent.objects.count()
    # when: the right password, and a wrong one
    right = APIClient().post("/api/v1/auth/token", {"email": alice.email, "password": CUSTOMER_PASSWORD},
                             format="json")
    wrong = APIClient().post("/api/v1/auth/token", {"email": alice.email, "password": "wrong-password-1"},
                             format="json")
    # then: both refused before the password was checked, with a Retry-After; no login recorded
    for response in (right, wrong):
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        assert response["Retry-After"] == str(int(RETRY_AFTER_SECONDS) + 1)  # whole seconds, rounded up
    assert AuditEvent.objects.count() == audit_rows
    alice.refresh_from_db()
    assert alice.last_login is None


def _refresh_token(user) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user))
