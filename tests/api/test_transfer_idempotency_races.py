"""Idempotency of POST /transfers under real concurrency: real commits, one thread per request."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import make_customer
from tests.threads import together
from tests.wallets.apis.conftest import client_for, send, transfer_body
from wallets.models import Journal, Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_concurrent_identical_requests_make_one_transfer():
    # given
    alice = make_customer(balance=1_000_000, first_name="Alice")
    bob = make_customer(balance=0, first_name="Bob")
    key = str(uuid.uuid4())
    body = transfer_body(alice, bob, amount=12_345)
    # when
    answers = together(20, lambda i: send(client_for(alice), body, key=key))
    # then: every answer is the one transfer (a replay), or 409 while the first was still running
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, statuses
    created = [a.json() for a in answers if a.status_code == 201]
    assert created and all(c == created[0] for c in created)
    assert all(a.json()["error"]["code"] == "idempotency_request_in_progress" for a in answers if a.status_code == 409)
    assert Journal.objects.filter(kind="transfer").count() == 1
    assert Transfer.objects.count() == 1
    assert str(Transfer.objects.get().public_id) == created[0]["id"]
    alice.wallet.refresh_from_db()
    bob.wallet.refresh_from_db()
    assert (alice.wallet.balance, bob.wallet.balance) == (1_000_000 - 12_345, 12_345)
    # and a later retry replays the same answer
    assert send(client_for(alice), body, key=key).json() == created[0]


def test_concurrent_distinct_transfers_never_overdraw():
    # given: 20 different keys, each for N100, on a wallet holding N1,000
    alice = make_customer(balance=100_000, first_name="Alice")
    bob = make_customer(balance=0, first_name="Bob")
    # when
    answers = together(20, lambda i: send(client_for(alice), transfer_body(alice, bob, amount=10_000)))
    # then: exactly ten succeed, the rest are refused as insufficient funds
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 10 + [422] * 10
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"insufficient_funds"}
    assert Transfer.objects.count() == Journal.objects.filter(kind="transfer").count() == 10
    alice.wallet.refresh_from_db()
    bob.wallet.refresh_from_db()
    assert (alice.wallet.balance, bob.wallet.balance) == (0, 100_000)
