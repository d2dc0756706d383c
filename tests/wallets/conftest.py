from __future__ import annotations

import pytest

from audit.models import AuditEvent
from audit.services import Actor
from tests.factories import make_wallet
from wallets.models import Hold, Journal, LedgerAccount, Posting


@pytest.fixture
def actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def wallet_factory(db):
    return make_wallet


def ledger_snapshot() -> dict:
    """Everything a refusal must leave unchanged."""
    return {
        "accounts": list(LedgerAccount.objects.order_by("id").values_list(
            "id", "status", "balance", "held", "version", "outflow_day", "outflow_total")),
        "journals": list(Journal.objects.order_by("id").values_list("id", "reference")),
        "postings": list(Posting.objects.order_by("id").values_list("id", "account_id", "amount", "balance_after")),
        "holds": list(Hold.objects.order_by("id").values_list("id", "status", "amount", "captured_amount")),
        "audit": AuditEvent.objects.count(),
    }


def postings_of(journal) -> list[tuple[int, int, int | None]]:
    return list(journal.postings.order_by("id").values_list("account_id", "amount", "balance_after"))
