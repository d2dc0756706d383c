"""Throttles count atomically: concurrent requests cannot slip past a limit together (DRF's own
throttles read, append and write back a list, so parallel requests all saw the same count)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cozonpay.cache import counter_increment
from tests.threads import together

from .conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def login_account_rate(settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "login_account": "5/min", "login_ip": "1000/min"}}
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    yield
    cache.clear()
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_counter_gives_each_concurrent_caller_its_own_value():
    cache.clear()
    values = together(40, lambda i: counter_increment(cache, "test-counter", 60))
    assert sorted(values) == list(range(1, 41))
    assert cache.get("test-counter") == 40


def test_thirty_parallel_password_guesses_against_five_per_minute(login_account_rate):
    # given
    user = make_user()
    # when: 30 wrong passwords at once for one account
    codes = together(30, lambda i: APIClient().post(
        "/api/v1/auth/token", {"email": user.email, "password": f"wrong-pass-{i}"}, format="json").status_code)
    # then: exactly five were tried, every other one was refused before the password was checked
    assert sorted(codes) == [401] * 5 + [429] * 25
