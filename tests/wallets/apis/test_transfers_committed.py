"""POST /transfers as production runs it: no test transaction around the request, so the journal,
the Transfer, the outbox event with its handler runs and the COMMIT travel in one round trip."""

from __future__ import annotations

import time

import pytest

from payments.events import services as events
from payments.models import HandlerRun, Notification, OutboxEvent
from tests.payments.conftest import wait_until
from wallets.models import LedgerAccount, SystemCode, Transfer
from wallets.services import system_account

from .conftest import client_for, money_snapshot, send, transfer_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def system_accounts():
    for code in SystemCode.values:  # flushed with every other table between transactional tests
        system_account(code)


@pytest.fixture
def rings(monkeypatch) -> list[str]:
    rung: list[str] = []
    monkeypatch.setattr(events.DOORBELL, "ring", lambda: rung.append("outbox drain"))
    return rung


def test_transfer_event_and_doorbell_after_commit(alice, bob, settings, rings):
    # given
    settings.FEES = {**settings.FEES, "p2p": 25}
    # when
    response = send(client_for(alice), transfer_body(alice, bob, amount=10_000))
    # then
    assert response.status_code == 201, response.content
    transfer = Transfer.objects.select_related("journal").get()
    assert str(transfer.public_id) == response.json()["id"]
    assert transfer.created_at == transfer.journal.created_at
    alice.wallet.refresh_from_db()
    bob.wallet.refresh_from_db()
    assert (alice.wallet.balance, bob.wallet.balance) == (1_000_000 - 10_025, 510_000)
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.aggregate_type, event.aggregate_id, event.reference) == (
        "transfer.completed", "transfer", str(transfer.public_id), transfer.journal.reference)
    assert event.payload == {"transfer": str(transfer.public_id), "sender": str(alice.pk), "recipient": str(bob.pk),
                             "amount": 10_000, "fee": 25, "currency": "NGN"}
    assert list(HandlerRun.objects.filter(event=event).values_list("handler", "status", "attempts")) == [
        ("notify_parties", "pending", 0)]
    assert rings == ["outbox drain"]


def test_refused_transfer_writes_no_event_and_rings_nothing(alice, bob, rings):
    # given
    before = money_snapshot()
    # when
    response = send(client_for(alice), transfer_body(alice, bob, amount=1_000_001))
    # then
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert money_snapshot() == before and rings == []


@pytest.mark.slow
def test_a_real_worker_notifies_both_sides_once_through_the_coalesced_doorbell(worker_process, alice, bob):
    # given: a running worker, and the real doorbell (no monkeypatch)
    worker = worker_process()
    events.DOORBELL.reset()
    # when: three transfers inside one doorbell window
    for amount in (1_000, 2_000, 3_000):
        assert send(client_for(alice), transfer_body(alice, bob, amount=amount)).status_code == 201
    # then: every handler run completes once, and each side has one notification per transfer
    try:
        wait_until(lambda: HandlerRun.objects.filter(status="succeeded").count() == 3, timeout=30, interval=0.1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{worker.output()[-3000:]}") from exc
    assert list(HandlerRun.objects.values_list("status", "attempts")) == [("succeeded", 1)] * 3
    assert Notification.objects.filter(user=alice, kind="transfer.sent").count() == 3
    assert Notification.objects.filter(user=bob, kind="transfer.received").count() == 3


def test_a_connection_the_server_closed_is_replaced_before_the_first_prepared_statement(alice, bob, rings):
    # given: a persistent connection (CONN_MAX_AGE) that served a request, then the server ends its backend
    from django.db import close_old_connections, connection, connections

    assert connection.settings_dict["CONN_MAX_AGE"] > 0 and connection.settings_dict["CONN_HEALTH_CHECKS"]
    client = client_for(alice)
    assert client.get(f"/api/v1/wallets/{alice.wallet.public_id}").status_code == 200
    assert connection.connection is not None  # kept for the next request
    pid = connection.connection.info.backend_pid
    balances = dict(LedgerAccount.objects.filter(pk__in=[alice.wallet.pk, bob.wallet.pk]).values_list("pk", "balance"))
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
    deadline = time.monotonic() + 10  # the FATAL message and the close arrive asynchronously
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.is_usable()
    # when: the next request, whose first statements are prepared ones (the idempotency claim, the
    # wallet), starts as under a real server: request_started runs close_old_connections (the test
    # client disconnects that handler, so the test calls it)
    close_old_connections()
    response = send(client, transfer_body(alice, bob, amount=10_000))
    # then: it ran on a new connection and moved the money once
    assert response.status_code == 201, response.content
    assert connection.connection.info.backend_pid != pid
    after = dict(LedgerAccount.objects.filter(pk__in=[alice.wallet.pk, bob.wallet.pk]).values_list("pk", "balance"))
    fee = Transfer.objects.get().fee
    assert after == {alice.wallet.pk: balances[alice.wallet.pk] - 10_000 - fee,
                     bob.wallet.pk: balances[bob.wallet.pk] + 10_000}
