from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cozonpay.users.models import User
from payments.models import HandlerRun, Notification, OutboxEvent
from tests.factories import CUSTOMER_PIN, make_customer
from wallets.models import Journal, LedgerAccount, Posting, Transfer


@pytest.fixture
def customer(db):
    return make_customer


@pytest.fixture
def alice(db):
    return make_customer(balance=1_000_000, first_name="Alice", last_name="Adeyemi")


@pytest.fixture
def bob(db):
    return make_customer(balance=500_000, first_name="Bob", last_name="Balogun")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def send(client: APIClient, body: dict, key: str | None = None):
    return client.post("/api/v1/transfers", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def transfer_body(source, recipient, amount=10_000, **extra) -> dict:
    identifier = recipient.email if isinstance(recipient, User) else recipient
    return {"source_wallet": str(source.wallet.public_id), "recipient": identifier, "amount": amount,
            "narration": "lunch", "pin": CUSTOMER_PIN, **extra}


def money_snapshot() -> dict:
    """Everything a refused transfer must leave unchanged."""
    return {
        "accounts": list(LedgerAccount.objects.order_by("id").values_list(
            "id", "status", "balance", "held", "outflow_total")),
        "journals": list(Journal.objects.order_by("id").values_list("id", "reference")),
        "postings": Posting.objects.count(),
        "transfers": list(Transfer.objects.order_by("id").values_list("id", "amount")),
        "events": OutboxEvent.objects.count(),
        "runs": HandlerRun.objects.count(),
        "notifications": list(Notification.objects.order_by("id").values_list("id", "read")),
        "money_audit": AuditEvent.objects.filter(action__startswith="ledger.").count(),
    }
