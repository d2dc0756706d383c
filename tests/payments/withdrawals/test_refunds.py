"""Refunds of deposits against the sandbox: automatic on a refused credit (end to end through the
outbox and the webhook inbox), failed refunds, and Finance refunding a credited checkout deposit."""

from __future__ import annotations

import pytest

from cozonpay.exceptions import DomainError, InvalidStateTransition
from payments.events import services as events
from payments.models import Deposit, DepositState, Notification, OutboxEvent, Refund, RefundOrigin, RefundState
from payments.services import refunds as service
from payments.services.deposits import deposit_checkout_create, deposit_verify
from tests.factories import make_wallet
from wallets.models import Hold, HoldStatus, Journal
from wallets.selectors import ledger_integrity_check

from .conftest import balances, deliver

pytestmark = pytest.mark.django_db

MONNIFY_REFUND_FEE = 1_000  # settings.MONNIFY_REFUND_FEE's default
# The sandbox keeps 1% of a transfer payment, at most N50 (payments/sandbox/collections.py): N5,000 -> N50.
SANDBOX_TRANSFER_COLLECTION_FEE = 5_000


@pytest.fixture(autouse=True)
def deposit_settings(settings):
    # The deposit flow is the lead's draft; its settings may not be on this branch yet.
    settings.DEPOSIT_CHECKOUT_TTL_SECONDS = getattr(settings, "DEPOSIT_CHECKOUT_TTL_SECONDS", 2400)
    settings.DEPOSIT_EXPIRY_MARGIN_SECONDS = getattr(settings, "DEPOSIT_EXPIRY_MARGIN_SECONDS", 300)


def _paid_checkout(control, wallet, amount: int) -> Deposit:
    deposit = deposit_checkout_create(user=wallet.owner, wallet=wallet, amount=amount)
    control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    return deposit_verify(deposit_id=deposit.pk)


def _dispatch(event_type: str, reference: str) -> None:
    for event in OutboxEvent.objects.filter(event_type=event_type, reference=reference):
        events.outbox_dispatch(event_id=event.pk)


def _refund_webhook(refund: Refund, status: str) -> dict:
    return {"eventType": "SUCCESSFUL_REFUND" if status == "COMPLETED" else "FAILED_REFUND",
            "eventData": {"refundReference": refund.reference, "refundStatus": status,
                          "transactionReference": refund.transaction_reference}}


@pytest.fixture
def refused_deposit(wd, control):
    """A paid checkout that cannot be credited: the wallet would pass its KYC maximum balance."""
    wallet = make_wallet(tier=1, balance=29_900_000)
    deposit = _paid_checkout(control, wallet, 500_000)
    assert deposit.state == DepositState.REFUND_PENDING
    return wallet, deposit


def test_refused_credit_is_refunded_automatically_end_to_end(refused_deposit, control):
    wallet, deposit = refused_deposit
    # Monnify kept its collection fee although the money could not be credited: booked at verification
    fee = Journal.objects.get(reference=f"monnify:fee:txn:{deposit.transaction_reference}")
    assert sorted(fee.postings.values_list("account__system_code", "amount")) == [
        ("monnify_clearing", SANDBOX_TRANSFER_COLLECTION_FEE), ("provider_fees", -SANDBOX_TRANSFER_COLLECTION_FEE)]
    before = balances(wallet)
    # when: the outbox runs the credit_refused handlers (twice: handlers may run again)
    _dispatch("payment.credit_refused", deposit.payment_reference)
    service.refund_request_for_deposit(deposit=deposit, actor=None, reason="again")
    refund = Refund.objects.get(deposit=deposit)
    assert refund.origin == RefundOrigin.AUTO and refund.amount == 500_000 and not refund.debits_wallet
    # the task submits it
    refund = service.refund_submit(refund_id=refund.pk)
    assert refund.state == RefundState.SUBMITTED and refund.provider_status == "IN_PROGRESS"
    # when Monnify completes it, the webhook (delivered twice) is verified with refund_get
    control.post(f"/sandbox/refunds/{refund.reference}/resolve", {"status": "COMPLETED"})
    assert deliver(_refund_webhook(refund, "COMPLETED")) == "processed"
    deliver(_refund_webhook(refund, "COMPLETED"))
    # then
    refund = Refund.objects.get(pk=refund.pk)
    assert refund.state == RefundState.COMPLETED
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.REFUNDED
    assert OutboxEvent.objects.filter(reference=deposit.payment_reference, event_type="payment.refunded").count() == 1
    # the money never entered the wallet: only Monnify's refund fee is booked, once
    assert balances(wallet) == {**before, "clearing": before["clearing"] + MONNIFY_REFUND_FEE,
                                "provider_fees": before["provider_fees"] - MONNIFY_REFUND_FEE}
    _dispatch("payment.refund_requested", refund.reference)
    _dispatch("payment.refund_completed", refund.reference)
    assert sorted(Notification.objects.filter(user=wallet.owner).values_list("kind", flat=True)) == [
        "refund.completed", "refund.requested"]
    assert [r["status"] for r in control.get("/sandbox/refunds")] == ["COMPLETED"]


def test_failed_refund_leaves_the_deposit_pending_and_tells_everyone(refused_deposit, control):
    wallet, deposit = refused_deposit
    refund = service.refund_request_for_deposit(deposit=deposit, actor=None, reason="limit")
    service.refund_submit(refund_id=refund.pk)
    control.post(f"/sandbox/refunds/{refund.reference}/resolve", {"status": "FAILED"})
    deliver(_refund_webhook(refund, "FAILED"))
    refund = Refund.objects.get(pk=refund.pk)
    assert refund.state == RefundState.FAILED
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.REFUND_PENDING
    _dispatch("payment.refund_failed", refund.reference)
    assert Notification.objects.filter(user=wallet.owner, kind="refund.failed").count() == 1
    # Finance asks for another one
    again = service.refund_request_for_deposit(deposit=deposit, actor=None, reason="retry", origin=RefundOrigin.STAFF)
    assert again.pk != refund.pk and again.amount == 500_000


def test_refund_unknown_outcome_is_resolved_by_refund_get(refused_deposit, control):
    wallet, deposit = refused_deposit
    refund = service.refund_request_for_deposit(deposit=deposit, actor=None, reason="limit")
    control.config(faults={"api_error_after_commit_rate": 1.0, "api_fault_paths": ["/api/v1/refunds/initiate"]})
    refund = service.refund_submit(refund_id=refund.pk)
    assert refund.state == RefundState.SUBMITTED and refund.provider_status == ""
    control.config(faults={"api_error_after_commit_rate": 0.0, "api_fault_paths": []}, refund_outcome="COMPLETED",
                   refund_settle_ms=0)
    control.post(f"/sandbox/refunds/{refund.reference}/resolve", {"status": "COMPLETED"})
    service.refunds_poll()
    assert Refund.objects.get(pk=refund.pk).state == RefundState.COMPLETED
    assert len(control.get("/sandbox/refunds")) == 1


def test_finance_refunds_a_credited_checkout_deposit_from_the_wallet(wd, control):
    wallet = make_wallet(balance=1_000_000)
    deposit = _paid_checkout(control, wallet, 500_000)
    assert deposit.state == DepositState.CREDITED
    before = balances(wallet)
    # when
    refund = service.refund_request_for_deposit(deposit=deposit, actor=None, reason="customer asked",
                                                origin=RefundOrigin.STAFF, amount=200_000)
    # then: held first
    assert refund.debits_wallet and balances(wallet) == {**before, "held": 200_000}
    service.refund_submit(refund_id=refund.pk)
    control.post(f"/sandbox/refunds/{refund.reference}/resolve", {"status": "COMPLETED"})
    service.refunds_poll()
    refund = Refund.objects.get(pk=refund.pk)
    assert refund.state == RefundState.COMPLETED and refund.capture_reference == f"refund:{refund.reference}:capture"
    assert balances(wallet) == {**before, "balance": before["balance"] - 200_000,
                                "clearing": before["clearing"] + 200_000 + MONNIFY_REFUND_FEE,
                                "provider_fees": before["provider_fees"] - MONNIFY_REFUND_FEE}
    # at most what was paid
    with pytest.raises(DomainError):
        service.refund_request_for_deposit(deposit=deposit, actor=None, reason="x", origin=RefundOrigin.STAFF,
                                           amount=300_001)
    assert ledger_integrity_check().ok


def test_failed_refund_of_a_credited_deposit_releases_the_wallet_hold(wd, control):
    wallet = make_wallet(balance=0)
    deposit = _paid_checkout(control, wallet, 500_000)
    before = balances(wallet)
    refund = service.refund_request_for_deposit(deposit=deposit, actor=None, reason="x", origin=RefundOrigin.STAFF)
    service.refund_submit(refund_id=refund.pk)
    control.post(f"/sandbox/refunds/{refund.reference}/resolve", {"status": "FAILED"})
    service.refunds_poll()
    assert Refund.objects.get(pk=refund.pk).state == RefundState.FAILED
    assert Hold.objects.get(reference=refund.hold_reference).status == HoldStatus.RELEASED
    assert balances(wallet) == before


def test_refund_refused_when_the_customer_spent_the_money(wd, control):
    from wallets.exceptions import InsufficientFunds

    wallet = make_wallet(balance=0)
    deposit = _paid_checkout(control, wallet, 500_000)
    from audit.services import Actor
    from wallets.services import hold_place

    hold_place(account=wallet, amount=400_000, reference="spent", expires_at=deposit.created_at.replace(year=2100),
               actor=Actor.system("tests"))
    before = balances(wallet)
    with pytest.raises(InsufficientFunds):
        service.refund_request_for_deposit(deposit=deposit, actor=None, reason="x", origin=RefundOrigin.STAFF)
    assert Refund.objects.get(deposit=deposit).state == RefundState.FAILED
    assert balances(wallet) == before and control.get("/sandbox/refunds") == []


def test_refund_of_an_unpaid_deposit_is_refused(wd, control):
    wallet = make_wallet(balance=0)
    deposit = deposit_checkout_create(user=wallet.owner, wallet=wallet, amount=500_000)
    with pytest.raises(InvalidStateTransition):
        service.refund_request_for_deposit(deposit=deposit, actor=None, reason="x", origin=RefundOrigin.STAFF)
    assert not Refund.objects.exists()
