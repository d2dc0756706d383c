"""The connection health check (cozonpay.postgresql): a healthy connection is reused without a
query; one the server closed is found out before a request uses it, and replaced."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def spare():
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_a_healthy_connection_is_checked_without_a_round_trip(spare, monkeypatch):
    monkeypatch.setattr(psycopg.Connection, "execute", lambda *a, **k: pytest.fail("the check sent a query"))
    monkeypatch.setattr(psycopg.Connection, "cursor", lambda *a, **k: pytest.fail("the check sent a query"))
    before = spare.connection
    assert spare.is_usable() is True
    spare.health_check_enabled, spare.health_check_done = True, False
    spare.close_if_health_check_failed()
    assert spare.connection is before and not before.closed


def test_a_connection_the_server_closed_is_replaced_before_use(spare):
    # given: the server ends the spare connection's backend
    with spare.connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True
    # when: the check runs, as at the start of a request (the FATAL message and the close arrive
    # asynchronously: wait for them, with a deadline)
    deadline = time.monotonic() + 10
    while spare.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spare.is_usable() is False
    spare.health_check_enabled, spare.health_check_done = True, False
    spare.close_if_health_check_failed()
    # then: the dead connection was dropped, and the next use opens a new one that works
    assert spare.connection is None
    with spare.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
