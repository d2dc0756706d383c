"""`transfer_send`: the Transfer row lives and dies with its journal."""

from __future__ import annotations

import pytest

from tests.factories import make_wallet
from wallets.exceptions import IdempotencyConflict, InsufficientFunds
from wallets.models import Journal, Transfer
from wallets.services import transfer, transfer_send

pytestmark = pytest.mark.django_db


def test_transfer_row_is_written_with_the_journal(actor):
    # given
    source, destination = make_wallet(balance=50_000), make_wallet()
    seen = []
    # when
    row = transfer_send(source=source, destination=destination, amount=10_000, fee=100, reference="t:1",
                        narration="rent", actor=actor, on_recorded=seen.append)
    # then
    assert row.replayed is False and seen == [row]
    stored = Transfer.objects.get()
    assert stored.pk == row.pk and stored.journal.reference == "t:1"
    assert (stored.sender_id, stored.recipient_id) == (source.owner_id, destination.owner_id)
    assert (stored.amount, stored.fee, stored.currency, stored.narration) == (10_000, 100, "NGN", "rent")


def test_replay_returns_the_same_transfer_and_does_not_call_back(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()
    first = transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
    seen = []
    again = transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                          on_recorded=seen.append)
    assert again.pk == first.pk and again.replayed is True and seen == []
    assert Transfer.objects.count() == 1 and Journal.objects.filter(kind="transfer").count() == 1


def test_refused_transfer_leaves_no_row_and_no_callback_effect(actor):
    source, destination = make_wallet(balance=5_000), make_wallet()

    def write_something(row):
        Journal.objects.filter(pk=-1).exists()  # a query inside the transaction is fine

    with pytest.raises(InsufficientFunds):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                      on_recorded=write_something)
    assert Transfer.objects.count() == 0 and not Journal.objects.filter(reference="t:1").exists()


def test_a_failing_callback_rolls_the_money_back(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()

    def explode(row):
        raise RuntimeError("outbox down")

    with pytest.raises(RuntimeError):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                      on_recorded=explode)
    source.refresh_from_db()
    assert source.balance == 50_000
    assert Transfer.objects.count() == 0 and not Journal.objects.filter(reference="t:1").exists()


def test_reference_of_a_plain_transfer_journal_conflicts(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()
    transfer(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
    with pytest.raises(IdempotencyConflict):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
