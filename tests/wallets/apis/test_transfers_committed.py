"""POST /transfers as production runs it: no test transaction around the request, so the journal,
the Transfer, the outbox event with its handler runs and the COMMIT travel in one round trip."""

from __future__ import annotations

import pytest

from payments.events import services as events
from payments.models import HandlerRun, OutboxEvent
from wallets.models import SystemCode, Transfer
from wallets.services import system_account

from .conftest import client_for, money_snapshot, send, transfer_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def system_accounts():
    for code in SystemCode.values:  # flushed with every other table between transactional tests
        system_account(code)


@pytest.fixture
def rings(monkeypatch) -> list[int]:
    rung: list[int] = []
    monkeypatch.setattr(events, "_ring", lambda event_id, countdown=None: rung.append(event_id))
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
    assert rings == [event.pk]


def test_refused_transfer_writes_no_event_and_rings_nothing(alice, bob, rings):
    # given
    before = money_snapshot()
    # when
    response = send(client_for(alice), transfer_body(alice, bob, amount=1_000_001))
    # then
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert money_snapshot() == before and rings == []
