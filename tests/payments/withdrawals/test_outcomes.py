"""Each withdrawal outcome end to end against the Monnify sandbox (real HTTP), with exact ledger
amounts, and each forbidden transition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from audit.models import AuditEvent
from cozonpay.exceptions import DomainError, InvalidStateTransition
from payments.clients.monnify.errors import MonnifyTerminalError
from payments.models import OutboxEvent, Withdrawal, WithdrawalState
from payments.services import withdrawals as service
from wallets.exceptions import InsufficientFunds, LimitExceeded
from wallets.models import Hold, HoldStatus, Journal
from wallets.selectors import ledger_integrity_check

from .conftest import MONNIFY_TRANSFER_FEE, balances, create, sandbox_transfer

pytestmark = pytest.mark.django_db

S = WithdrawalState
AMOUNT, FEE = 500_000, 1_000  # N5,000 pays a N10 fee (settings.FEES)


def _events(w: Withdrawal) -> list[str]:
    return list(OutboxEvent.objects.filter(reference=w.reference).order_by("id").values_list("event_type", flat=True))


def _hold(w: Withdrawal) -> Hold:
    return Hold.objects.get(reference=w.hold_reference)


def test_success_captures_amount_to_clearing_and_fee_to_revenue(wd, control, wallet):
    # given
    before = balances(wallet)
    # when
    w = create(wallet, AMOUNT)
    # then: funds held, nothing sent yet
    assert w.state == S.FUNDS_HELD and w.fee == FEE and w.reference.startswith("wd_")
    assert balances(wallet) == {**before, "held": AMOUNT + FEE}
    assert sandbox_transfer(control, w.reference) is None
    # when
    w = service.withdrawal_submit(withdrawal_id=w.pk)
    # then
    assert w.state == S.SUCCEEDED and w.provider_status == "SUCCESS" and w.transaction_reference.startswith("MFDS")
    # the customer pays amount + our fee; Monnify's own fee on the transfer is our expense
    assert w.provider_fee == MONNIFY_TRANSFER_FEE
    assert balances(wallet) == {"balance": before["balance"] - AMOUNT - FEE, "held": 0,
                                "clearing": before["clearing"] + AMOUNT + MONNIFY_TRANSFER_FEE,
                                "fees": before["fees"] + FEE,
                                "provider_fees": before["provider_fees"] - MONNIFY_TRANSFER_FEE}
    assert Journal.objects.get(reference=service.provider_fee_reference_for(w.reference)).kind == "provider_fee"
    assert _hold(w).status == HoldStatus.CAPTURED
    assert Journal.objects.get(reference=w.capture_reference).reference == f"withdrawal:{w.reference}:capture"
    transfer = sandbox_transfer(control, w.reference)
    assert transfer["status"] == "SUCCESS" and transfer["initiate_calls"] == 1 and transfer["amount"] == "5000.00"
    assert _events(w) == ["payment.initiated", "payment.provider_submitted", "payment.confirmed"]
    assert set(AuditEvent.objects.filter(references__contains=[w.reference], action__startswith="withdrawal.")
               .values_list("action", flat=True)) == {"withdrawal.initiated", "withdrawal.hold_placed",
                                                      "withdrawal.submit", "withdrawal.succeed"}
    # and a second submit (a redelivered task) does nothing
    assert service.withdrawal_submit(withdrawal_id=w.pk).state == S.SUCCEEDED
    assert sandbox_transfer(control, w.reference)["initiate_calls"] == 1
    assert ledger_integrity_check().ok


def test_failed_outcome_releases_the_hold(wd, control, wallet):
    control.config(disbursement_outcome="FAILED")
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.FAILED and w.provider_status == "FAILED"
    assert balances(wallet) == before
    assert _hold(w).status == HoldStatus.RELEASED
    assert _events(w)[-1] == "payment.failed"


def test_200_with_status_failed_insufficient_merchant_balance_releases(wd, control, wallet):
    control.config(wallet_balance="1.00")
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.FAILED and "sufficient balance" in w.failure_reason
    assert balances(wallet) == before and _hold(w).status == HoldStatus.RELEASED


@pytest.mark.parametrize("final", ["SUCCESS", "FAILED"])
def test_pending_then_resolved_by_the_poller(wd, control, wallet, final):
    control.config(disbursement_outcome="PENDING")
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.PROCESSING and balances(wallet)["held"] == AMOUNT + FEE
    # still pending: the poller asks and leaves it
    assert service.withdrawals_poll() == {S.PROCESSING: 1}
    control.post(f"/sandbox/disbursements/{w.reference}/resolve", {"status": final})
    service.withdrawals_poll()
    w = Withdrawal.objects.get(pk=w.pk)
    if final == "SUCCESS":
        assert w.state == S.SUCCEEDED and balances(wallet)["balance"] == before["balance"] - AMOUNT - FEE
    else:
        assert w.state == S.FAILED and balances(wallet) == before
    assert balances(wallet)["held"] == 0
    assert sandbox_transfer(control, w.reference)["initiate_calls"] == 1


def test_otp_required_then_authorized_by_finance(wd, control, wallet, staff):
    control.config(otp_required=True)
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.AWAITING_AUTHORIZATION and w.provider_status == "PENDING_AUTHORIZATION"
    # a wrong code: refused, still waiting, nothing moved
    with pytest.raises(DomainError) as refused:
        service.withdrawal_authorize(withdrawal=w, code="000000", actor=staff)
    assert refused.value.code == "authorization_refused"
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.AWAITING_AUTHORIZATION and balances(wallet)["held"] == AMOUNT + FEE
    # the right code
    w = service.withdrawal_authorize(withdrawal=w, code="123456", actor=staff)
    assert w.state == S.SUCCEEDED
    assert balances(wallet)["balance"] == before["balance"] - AMOUNT - FEE and balances(wallet)["held"] == 0
    assert AuditEvent.objects.filter(action="withdrawal.authorization_submitted", actor_id="tests.staff",
                                     references__contains=[w.reference]).count() == 2


def test_otp_required_then_rejected_by_finance(wd, control, wallet, staff):
    control.config(otp_required=True)
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    w = service.withdrawal_reject(withdrawal=w, actor=staff, reason="customer called: not them")
    assert w.state == S.FAILED and w.failure_reason.startswith("Rejected by staff")
    assert balances(wallet) == before and _hold(w).status == HoldStatus.RELEASED
    assert AuditEvent.objects.filter(action="withdrawal.reject", actor_id="tests.staff").count() == 1
    with pytest.raises(InvalidStateTransition):
        service.withdrawal_reject(withdrawal=w, actor=staff, reason="again")


@pytest.mark.parametrize("fault", ["api_timeout_rate", "api_error_after_commit_rate"])
def test_unknown_outcome_is_resolved_by_the_summary_never_resent(wd, control, wallet, fault):
    # given: Monnify does the transfer, then times out / answers 500
    control.config(faults={fault: 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.UNKNOWN and balances(wallet)["held"] == AMOUNT + FEE
    assert sandbox_transfer(control, w.reference)["status"] == "SUCCESS"
    # when: Monnify answers again
    control.config(faults={fault: 0.0})
    service.withdrawals_poll()
    # then: captured once, initiated once
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.SUCCEEDED
    assert balances(wallet)["balance"] == before["balance"] - AMOUNT - FEE
    assert sandbox_transfer(control, w.reference)["initiate_calls"] == 1


def test_no_record_at_monnify_resends_the_same_reference(wd, control, wallet):
    # given: the initiate call fails before Monnify does anything
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.UNKNOWN and sandbox_transfer(control, w.reference) is None
    # when
    control.config(faults={"api_error_rate": 0.0})
    service.withdrawals_poll()
    # then: summary said 404, so the same reference was sent again
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.SUCCEEDED and w.submit_attempts == 2
    assert sandbox_transfer(control, w.reference)["initiate_calls"] == 1
    assert OutboxEvent.objects.filter(reference=w.reference, event_type="payment.provider_submitted",
                                      payload__resubmission=True).count() == 1


def test_no_record_after_the_hold_expired_fails_and_releases(wd, control, wallet):
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    before = balances(wallet)
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    Withdrawal.objects.filter(pk=w.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    control.config(faults={"api_error_rate": 0.0})
    service.withdrawals_poll()
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.FAILED and w.provider_status == "NOT_FOUND"
    assert balances(wallet) == before and sandbox_transfer(control, w.reference) is None


def test_d07_duplicate_refuses_this_request_and_releases(wd, control, wallet):
    control.config(d07_window_s=120)
    first = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    before = balances(wallet)
    second = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert first.state == S.SUCCEEDED
    assert second.state == S.FAILED and second.provider_status == "D07" and "duplicate" in second.failure_reason
    assert balances(wallet) == before and sandbox_transfer(control, second.reference) is None


def test_repeated_reference_refused_as_error_is_resolved_by_asking(wd, control, wallet):
    # Monnify may answer a repeated reference with an error instead of the original: that refusal is
    # not a failure of our (already paid) transfer.
    control.config(duplicate_reference="error")
    w = create(wallet, AMOUNT)
    service.withdrawal_submit(withdrawal_id=w.pk)
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.SUCCEEDED
    refusal = MonnifyTerminalError("Duplicate reference", response_code="99")
    result = service._after_refusal(w.pk, refusal, service._system_actor())
    assert result.state == S.SUCCEEDED and Hold.objects.get(reference=w.hold_reference).status == HoldStatus.CAPTURED


@pytest.mark.parametrize("error, setup", [
    (InsufficientFunds, lambda wallet: None),
    (LimitExceeded, lambda wallet: wallet.owner.__class__.objects.filter(pk=wallet.owner_id).update(kyc_tier=0)),
])
def test_refused_hold_leaves_a_failed_row_and_moves_nothing(wd, control, wallet, error, setup):
    setup(wallet)
    before = balances(wallet)
    amount = 20_000_000 if error is InsufficientFunds else 2_000_000
    with pytest.raises(error):
        create(wallet, amount)
    w = Withdrawal.objects.get(wallet=wallet)
    assert w.state == S.FAILED and w.failure_reason.startswith(error.code)
    assert balances(wallet) == before and not Hold.objects.filter(reference=w.hold_reference).exists()
    assert _events(w) == ["payment.refused"]
    assert control.get("/sandbox/disbursements") == []


def test_forbidden_transitions_raise(wd, control, wallet, staff):
    w = service.withdrawal_submit(withdrawal_id=create(wallet, AMOUNT).pk)
    assert w.state == S.SUCCEEDED
    for method, kwargs in [("fail", {"reason": "x"}), ("submit", {"next_check_at": None}),
                           ("hold_placed", {"hold_reference": "h", "hold_expires_at": None}),
                           ("reject", {"reason": "x"}), ("accepted", {"provider_status": "PENDING"})]:
        with pytest.raises(TransitionNotAllowed):
            getattr(w, method)(**kwargs)
    with pytest.raises(InvalidStateTransition):
        service.withdrawal_authorize(withdrawal=w, code="123456", actor=staff)
    with pytest.raises(InvalidStateTransition):
        service.withdrawal_reject(withdrawal=w, actor=staff, reason="late")
    with pytest.raises(InvalidStateTransition):
        service._transition(Withdrawal.objects.select_for_update().get(pk=w.pk), "fail", "payment.failed",
                            actor=staff, reason="x")
    w = Withdrawal.objects.get(pk=w.pk)
    assert w.state == S.SUCCEEDED
    # the state field is protected: no direct assignment
    with pytest.raises(AttributeError):
        w.state = S.FAILED
