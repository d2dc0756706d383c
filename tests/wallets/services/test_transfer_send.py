"""`transfer_send`: the Transfer row lives and dies with its journal."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from audit.models import AuditEvent
from cozonpay.db import Statement
from tests.factories import make_wallet
from wallets.exceptions import IdempotencyConflict, InsufficientFunds
from wallets.models import Journal, Transfer
from wallets.services import transfer, transfer_send

pytestmark = pytest.mark.django_db


def _outbox(seen: list, sql: str = "SELECT %s::text"):
    """An `outbox` that records what it was given and the rows its statement returned."""

    def outbox(row, reference):
        seen.append(("built", row.public_id, reference))
        return [Statement(sql, (reference,), on_rows=lambda rows: seen.append(("ran", rows)))]

    return outbox


def test_transfer_row_is_written_with_the_journal(actor):
    # given
    source, destination = make_wallet(balance=50_000), make_wallet()
    seen = []
    # when
    row = transfer_send(source=source, destination=destination, amount=10_000, fee=100, reference="t:1",
                        narration="rent", actor=actor, outbox=_outbox(seen))
    # then
    assert row.replayed is False
    assert seen == [("built", row.public_id, "t:1"), ("ran", [("t:1",)])]
    stored = Transfer.objects.get()
    assert stored.pk == row.pk and stored.journal.reference == "t:1" and stored.journal_id == row.journal.id
    assert stored.public_id == row.public_id and stored.created_at == row.created_at == row.journal.created_at
    assert (stored.sender_id, stored.recipient_id) == (source.owner_id, destination.owner_id)
    assert (stored.amount, stored.fee, stored.currency, stored.narration) == (10_000, 100, "NGN", "rent")


def test_replay_returns_the_same_transfer_and_runs_no_statement(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()
    first = transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
    seen = []
    again = transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                          outbox=_outbox(seen))
    assert again.pk == first.pk and again.replayed is True and [s for s in seen if s[0] == "ran"] == []
    assert Transfer.objects.count() == 1 and Journal.objects.filter(kind="transfer").count() == 1


def test_refused_transfer_leaves_no_row_and_no_statement_effect(actor):
    # given: an outbox statement with a visible effect (an audit row)
    source, destination = make_wallet(balance=5_000), make_wallet()
    seen = []
    audits = AuditEvent.objects.count()
    effect = ("INSERT INTO audit_auditevent (actor_type, actor_id, actor_name, action, subject_type, subject_id, "
              "\"references\", request_id, payload) VALUES ('system', 't', 't', 'test.effect', '', '', "
              "ARRAY[%s]::varchar[], '', '{}') RETURNING id")
    # when
    with pytest.raises(InsufficientFunds):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                      outbox=_outbox(seen, effect))
    # then
    assert Transfer.objects.count() == 0 and not Journal.objects.filter(reference="t:1").exists()
    assert AuditEvent.objects.count() == audits and not AuditEvent.objects.filter(action="test.effect").exists()


def test_a_failing_statement_rolls_the_money_back(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()

    with pytest.raises(DatabaseError):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor,
                      outbox=lambda row, reference: [Statement("SELECT 1 / (length(%s) - 3)", (reference,))])
    source.refresh_from_db()
    assert source.balance == 50_000
    assert Transfer.objects.count() == 0 and not Journal.objects.filter(reference="t:1").exists()


def test_reference_of_a_plain_transfer_journal_conflicts(actor):
    source, destination = make_wallet(balance=50_000), make_wallet()
    transfer(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
    with pytest.raises(IdempotencyConflict):
        transfer_send(source=source, destination=destination, amount=10_000, reference="t:1", actor=actor)
