"""Writers queue on a transaction advisory lock per account before they take its row lock, on both
posting paths (wallets/locks.py, wallets/sql/0007): a hot wallet's waiters are woken one at a time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories import make_wallet
from tests.payments.conftest import wait_until
from wallets.services import transfer

from ..conftest import *  # noqa: F403 - the actor fixture


def _advisory_keys_held() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks "
                       "WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_inside_a_transaction_each_changed_wallet_is_queued(actor):
    # given: the test's own transaction, so the ledger takes its statement-by-statement path
    a, b = make_wallet(balance=1_000), make_wallet()
    # when
    transfer(source=a, destination=b, amount=10, reference="queue-atomic", actor=actor)
    # then: both wallets' queues are held until that transaction ends, and the money moved
    assert _advisory_keys_held() == sorted([a.id, b.id])
    a.refresh_from_db()
    assert a.balance == 990


@pytest.mark.django_db(transaction=True)
def test_a_journal_in_one_statement_waits_behind_the_wallets_queue(actor):
    # given: another session holds the source wallet's queue
    a, b = make_wallet(balance=1_000), make_wallet()
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [a.id])
    done = threading.Event()
    pids = []

    def post():
        try:
            pids.append(connection.cursor().connection.info.backend_pid)
            transfer(source=a, destination=b, amount=10, reference="queue-autocommit", actor=actor)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=post)
    thread.start()
    try:
        # when / then: the transfer waits on that advisory lock, having moved nothing
        def waiting_on_advisory():
            with holder.cursor() as cursor:
                cursor.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = %s", [pids[0]])
                row = cursor.fetchone()
            return row and row[0] == "advisory"

        wait_until(lambda: pids and waiting_on_advisory(), timeout=10)
        a.refresh_from_db()
        assert a.balance == 1_000 and not done.is_set()
    finally:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [a.id])
        thread.join(timeout=30)
        holder.close()
    # and once the queue moves, it posts
    assert done.is_set()
    a.refresh_from_db()
    assert a.balance == 990
