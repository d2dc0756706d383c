"""Disbursement webhooks through the real inbox: verified with the summary, any order, any number
of times, never backwards; SUCCESS and REVERSED give one debit and one credit back."""

from __future__ import annotations

import pytest

from payments.models import OutboxEvent, Withdrawal, WithdrawalState
from payments.services import withdrawals as service
from wallets.models import Journal, Posting
from wallets.selectors import ledger_integrity_check

from .conftest import balances, create, deliver, disbursement_webhook

pytestmark = pytest.mark.django_db

S = WithdrawalState
AMOUNT, FEE = 500_000, 1_000


def _wallet_movements(wallet, w: Withdrawal) -> list[int]:
    return list(Posting.objects.filter(account=wallet, journal__reference__startswith=f"withdrawal:{w.reference}")
                .order_by("id").values_list("amount", flat=True))


def test_success_then_reversed_any_number_of_times_credits_back_once(wd, control, wallet):
    # given
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.SUCCEEDED
    success = disbursement_webhook(control, w.reference, "SUCCESS", "SUCCESSFUL_DISBURSEMENT")
    # when: the bank reverses it; webhooks arrive duplicated and out of order
    control.post(f"/sandbox/disbursements/{w.reference}/resolve", {"status": "REVERSED"})
    reversed_ = disbursement_webhook(control, w.reference, "REVERSED", "REVERSED_DISBURSEMENT")
    outcomes = [deliver(reversed_), deliver(success), deliver(reversed_)]
    # then
    assert outcomes[0] == "processed"
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.REVERSED and w.reversal_reference == f"withdrawal:{w.reference}:reversal"
    assert _wallet_movements(wallet, w) == [-(AMOUNT + FEE), AMOUNT + FEE]
    assert balances(wallet) == before  # clearing and provider fees included: Monnify gave its fee back
    assert Journal.objects.filter(reference=w.reversal_reference).count() == 1
    fee_reference = service.provider_fee_reference_for(w.reference)
    assert Journal.objects.filter(reference__in=[fee_reference, f"reversal:{fee_reference}"]).count() == 2
    assert OutboxEvent.objects.filter(reference=w.reference, event_type="payment.reversed").count() == 1
    assert ledger_integrity_check().ok


def test_reversed_delivered_before_success_was_recorded_debits_once_and_credits_back_once(wd, control, wallet):
    # given: Monnify paid, but its answer timed out; then the bank reversed it
    control.config(faults={"api_timeout_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.UNKNOWN
    control.config(faults={"api_timeout_rate": 0.0})
    control.post(f"/sandbox/disbursements/{w.reference}/resolve", {"status": "REVERSED"})
    # when: REVERSED arrives first, then the (late) SUCCESS, each twice
    for payload in [disbursement_webhook(control, w.reference, "REVERSED", "REVERSED_DISBURSEMENT"),
                    disbursement_webhook(control, w.reference, "SUCCESS", "SUCCESSFUL_DISBURSEMENT")] * 2:
        deliver(payload)
    # then
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.REVERSED
    assert _wallet_movements(wallet, w) == [-(AMOUNT + FEE), AMOUNT + FEE]
    assert balances(wallet) == before
    assert list(OutboxEvent.objects.filter(reference=w.reference).order_by("id").values_list(
        "event_type", flat=True))[-2:] == ["payment.confirmed", "payment.reversed"]


def test_a_webhook_is_only_a_rumour(wd, control, wallet):
    # given: Monnify's summary still says PENDING
    control.config(disbursement_outcome="PENDING")
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    # when: a (forged or early) SUCCESS webhook arrives
    assert deliver(disbursement_webhook(control, w.reference, "SUCCESS", "SUCCESSFUL_DISBURSEMENT")) == "processed"
    # then: nothing moved
    assert Withdrawal.objects.get(pk=w.pk).state == S.PROCESSING
    assert balances(wallet) == {**before, "held": AMOUNT + FEE}
    # when the transfer fails at Monnify, a FAILED webhook releases the hold, once
    control.post(f"/sandbox/disbursements/{w.reference}/resolve", {"status": "FAILED"})
    failed = disbursement_webhook(control, w.reference, "FAILED", "FAILED_DISBURSEMENT")
    deliver(failed)
    deliver(failed)
    assert Withdrawal.objects.get(pk=w.pk).state == S.FAILED
    assert balances(wallet) == before
    assert OutboxEvent.objects.filter(reference=w.reference, event_type="payment.failed").count() == 1


def test_webhook_for_an_unknown_reference_is_ignored(wd, control):
    from webhooks.models import WebhookEvent

    payload = {"eventType": "SUCCESSFUL_DISBURSEMENT", "eventData": {"reference": "wd_not_ours", "status": "SUCCESS"}}
    assert deliver(payload) == "ignored"
    assert "no withdrawal" in WebhookEvent.objects.get(reference="wd_not_ours").outcome
