"""Fixtures for withdrawals and refunds: the sandbox with short timeouts, funded wallets, and a
model of what every balance must be."""

from __future__ import annotations

import json
import uuid

import pytest

from audit.services import Actor
from payments.models import Withdrawal
from payments.services import withdrawals as service
from tests.factories import make_wallet
from wallets.models import SystemCode
from wallets.selectors import account_balance
from wallets.services import system_account

ACCOUNT = "0123456789"
BANK = "058"


@pytest.fixture
def wd(monnify_settings, control):
    """Monnify at the sandbox, short timeouts, no D07 window, poller due at once."""
    monnify_settings.MONNIFY_READ_TIMEOUT = 0.6
    monnify_settings.MONNIFY_RETRY_ATTEMPTS = 2
    monnify_settings.PAYMENTS_POLL_INTERVAL_SECONDS = 0
    monnify_settings.WITHDRAWAL_SUBMIT_GRACE_SECONDS = 0
    monnify_settings.WITHDRAWAL_STALE_SECONDS = 0
    control.config(d07_window_s=0, api_timeout_s=1.2)
    return monnify_settings


def create(wallet, amount=500_000, *, account=ACCOUNT, bank=BANK, name="ADA OBI", narration="rent") -> Withdrawal:
    return service.withdrawal_create(
        user=wallet.owner, wallet=wallet, amount=amount, bank_code=bank, bank_name="GTBank", account_number=account,
        account_name=name, narration=narration, reference=service.reference_for(uuid.uuid4()),
    )


def balances(wallet) -> dict[str, int]:
    wallet_balance = account_balance(account=wallet)
    return {
        "balance": wallet_balance.balance,
        "held": wallet_balance.held,
        "clearing": account_balance(account=system_account(SystemCode.MONNIFY_CLEARING)).balance,
        "fees": account_balance(account=system_account(SystemCode.FEES_REVENUE)).balance,
        "provider_fees": account_balance(account=system_account(SystemCode.PROVIDER_FEES)).balance,
    }


# What the sandbox charges per transfer by default (its config's disbursement_fee, "10.00").
MONNIFY_TRANSFER_FEE = 1_000


def sandbox_transfer(control, reference: str) -> dict | None:
    return next((d for d in control.get("/sandbox/disbursements") if d["reference"] == reference), None)


def disbursement_webhook(control, reference: str, status: str, event_type: str) -> dict:
    """A disbursement webhook body as Monnify sends it (the sandbox's shape), for our inbox."""
    summary = sandbox_transfer(control, reference) or {}
    return {"eventType": event_type,
            "eventData": {"reference": reference, "status": status, "amount": summary.get("amount", "0"),
                          "transactionReference": summary.get("transactionReference", "")}}


def deliver(payload: dict) -> str:
    """Through the real inbox: store, then process (as the worker would)."""
    from webhooks import services as inbox

    raw = json.dumps(payload, separators=(",", ":")).encode()
    receipt = inbox.webhook_receive(raw=raw, payload=payload, headers={}, source_ip=None)
    return inbox.webhook_process(event_id=receipt.event_id)


@pytest.fixture
def wallet(db):
    return make_wallet(balance=10_000_000)


@pytest.fixture
def staff():
    return Actor.system("tests.staff")
