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
    values = together(40, lambda i: counter_increment(cache, "test-counter", 60)[0])
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


def test_a_burst_at_a_window_boundary_does_not_pass_twice_the_rate():
    # given: 5 a minute, and a clock at second 59 of a window
    from cozonpay.throttling import AtomicRateThrottle

    cache.clear()

    class FivePerMinute(AtomicRateThrottle):
        rate = "5/min"

        def get_cache_key(self, request, view):
            return "throttle_test_boundary"

    clock = {"now": 60.0 * 1000 + 59}

    def attempt() -> bool:
        throttle = FivePerMinute()
        throttle.timer = lambda: clock["now"]
        return throttle.allow_request(None, None)

    # when / then: five pass at the end of the window
    assert [attempt() for _ in range(5)] == [True] * 5
    # a second and a half later, in the next window, a fixed window would let five more through
    clock["now"] += 1.5
    assert attempt() is False
    # most of a minute later, the burst has slid out of the window
    clock["now"] += 50
    assert attempt() is True
