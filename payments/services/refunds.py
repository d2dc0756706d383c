"""Refunds of deposits through Monnify's refund API (payments/models/refunds.py explains the model).

- Automatic: a verified deposit that could not be credited (``refund_pending``, outbox event
  ``payment.credit_refused``) gets one refund of what was paid (``refund_request_for_deposit``;
  idempotent: the partial unique constraint allows one automatic refund per deposit). Its money never
  entered a wallet, so no wallet moves; when Monnify completes the refund the deposit becomes
  ``refunded`` (its ``refunded()`` transition, with a ``payment.refunded`` event).
- Every completed refund books Monnify's refund fee (``MONNIFY_REFUND_FEE``: its API does not report
  it) as a provider fee, once (``monnify:fee:refund:<ref>``).
- Staff (Finance, from the admin): another refund of a ``refund_pending`` deposit (e.g. after the
  automatic one failed, with a destination account), or a refund of a *credited* checkout deposit.
  The latter takes the money back from the wallet: a hold is placed before Monnify is asked
  (refused if the customer has spent it), captured into Monnify clearing on COMPLETED
  (``refund:<ref>:capture``), released on FAILED.
- Bank-transfer deposits: Monnify cannot refund to a virtual account, and its status API masks the
  payer's account number, so we send a destination only when staff give one; without it Monnify
  refunds to the original payment source, and if it refuses (R6: account details needed) the
  refund fails with that reason and Finance requests another with a destination.
- Claim, call, record, as for withdrawals: ``requested -> submitted`` commits before the call; an
  unknown outcome stays ``submitted`` and is resolved by ``refund_get`` with the same reference; the
  same reference is re-sent only when Monnify says it has no record of it (R7 / 404), and an "already
  exists" (R9) answer is resolved by asking.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.enqueue import safe_enqueue
from cozonpay.exceptions import DomainError, InvalidStateTransition
from wallets.exceptions import HoldNotPending, LedgerError
from wallets.models import Hold, HoldStatus, JournalKind, SystemCode
from wallets.services import hold_capture, hold_place, hold_release, provider_fee_book, system_account

from ..clients.monnify import errors as monnify_errors
from ..clients.monnify.client import get_client
from ..clients.monnify.types import RefundDetails
from ..events.services import outbox_emit
from ..exceptions import ProviderUnavailable
from ..models import Deposit, DepositChannel, DepositState, Refund, RefundOrigin, RefundState
from .transitions import next_poll_at, submit_grace_at
from .transitions import transition_apply as _transition

logger = logging.getLogger("payments.refunds")

R = RefundState
REFUNDABLE_DEPOSIT_STATES = (DepositState.REFUND_PENDING, DepositState.CREDITED, DepositState.SETTLED)


def hold_reference_for(reference: str) -> str:
    return f"refund:{reference}"


def capture_reference_for(reference: str) -> str:
    return f"refund:{reference}:capture"


def provider_fee_reference_for(reference: str) -> str:
    return f"monnify:fee:refund:{reference}"


def _locked(refund_id: int) -> Refund:
    return Refund.objects.select_for_update().get(pk=refund_id)


def _enqueue_submit(refund_id: int) -> None:
    from ..tasks import refund_submit_task

    safe_enqueue(refund_submit_task, args=(refund_id,))


# --- Requesting ------------------------------------------------------------------------------------------


def refund_request_for_deposit(*, deposit: Deposit, actor, reason: str, origin: str = RefundOrigin.AUTO,
                               amount: int | None = None, destination_account_number: str = "",
                               destination_bank_code: str = "") -> Refund:
    """Request a refund of a deposit. ``origin=auto`` (the credit_refused handler) is idempotent:
    one automatic refund per deposit, a repeat returns it. ``origin=staff`` creates another
    (Finance), within what was paid and not already refunded or being refunded."""
    actor_name = getattr(actor, "name", "") or getattr(actor, "email", "") or str(actor)
    if origin == RefundOrigin.AUTO:
        existing = Refund.objects.filter(deposit=deposit, origin=RefundOrigin.AUTO).first()
        if existing:
            return existing
    if bool(destination_account_number) != bool(destination_bank_code):
        raise DomainError("Give both the destination account number and bank code, or neither.",
                          code="validation_error", http_status=400)
    reference = f"rf_{uuid.uuid4().hex}"
    try:
        with transaction.atomic(durable=True):
            locked = Deposit.objects.select_for_update().get(pk=deposit.pk)
            if locked.state not in REFUNDABLE_DEPOSIT_STATES:
                raise InvalidStateTransition(f"A deposit that is {locked.state} cannot be refunded.")
            if not locked.transaction_reference:
                raise InvalidStateTransition("The deposit has no Monnify transaction to refund.")
            if origin == RefundOrigin.AUTO and locked.state != DepositState.REFUND_PENDING:
                raise InvalidStateTransition("Automatic refunds are for deposits that could not be credited.")
            debits_wallet = locked.state != DepositState.REFUND_PENDING
            if debits_wallet and locked.channel != DepositChannel.CHECKOUT:
                raise InvalidStateTransition("Only checkout deposits can be refunded after they were credited.")
            committed = Refund.objects.filter(deposit=locked).exclude(state=R.FAILED).aggregate(
                total=Sum("amount"))["total"] or 0
            available = locked.amount_paid - committed
            amount = available if amount is None else amount
            if amount <= 0 or amount > available:
                raise DomainError(f"At most {max(available, 0)} kobo of this deposit can still be refunded.",
                                  code="refund_amount_invalid", fields={"amount": [str(max(available, 0))]})
            refund = Refund.objects.create(
                user_id=locked.user_id, wallet_id=locked.wallet_id, deposit=locked, origin=origin,
                reference=reference, transaction_reference=locked.transaction_reference, amount=amount,
                currency=locked.currency, reason=reason[:64], customer_note="CozonPay refund",
                destination_account_number=destination_account_number, destination_bank_code=destination_bank_code,
                debits_wallet=debits_wallet, hold_reference=hold_reference_for(reference) if debits_wallet else "",
                requested_by=actor_name[:255],
            )
            outbox_emit(event_type="payment.refund_requested", aggregate=refund, reference=refund.reference,
                        payload={"refund": str(refund.public_id), "deposit": str(locked.public_id),
                                 "amount": amount, "currency": refund.currency, "origin": origin,
                                 "debits_wallet": debits_wallet})
            audit_record(action="refund.requested", actor=actor, subject=refund,
                         references=[refund.reference, locked.payment_reference, locked.transaction_reference,
                                     refund.public_id, locked.public_id],
                         payload={"amount": amount, "reason": reason, "origin": origin,
                                  "deposit_state": locked.state, "debits_wallet": debits_wallet})
    except IntegrityError:
        if origin == RefundOrigin.AUTO:  # a concurrent automatic request won
            return Refund.objects.get(deposit=deposit, origin=RefundOrigin.AUTO)
        raise
    if refund.debits_wallet:
        try:
            hold_place(account=refund.wallet, amount=refund.amount, reference=refund.hold_reference,
                       expires_at=timezone.now() + timedelta(seconds=settings.WITHDRAWAL_HOLD_TTL_SECONDS), actor=actor)
        except LedgerError as exc:
            with transaction.atomic(durable=True):
                _transition(_locked(refund.pk), "fail", "payment.refund_failed", actor=actor,
                            reason=f"The wallet cannot pay it back: {exc.message}")
            raise
    transaction.on_commit(lambda: _enqueue_submit(refund.pk))  # runs now when no transaction is open
    return refund


# --- Submission -------------------------------------------------------------------------------------------


def refund_submit(*, refund_id: int, actor=None) -> Refund:
    actor = actor or Actor.system("refunds")
    with transaction.atomic(durable=True):
        refund = _locked(refund_id)
        if refund.state != R.REQUESTED:
            return refund
        _transition(refund, "submit", "payment.refund_submitted", actor=actor, next_check_at=submit_grace_at())
    return _call_initiate(refund, actor)


def _call_initiate(refund: Refund, actor) -> Refund:
    client = get_client()
    try:
        result = client.refund_initiate(
            transaction_reference=refund.transaction_reference, refund_reference=refund.reference,
            refund_amount_kobo=refund.amount, refund_reason=refund.reason, customer_note=refund.customer_note,
            destination_account_number=refund.destination_account_number or None,
            destination_account_bank_code=refund.destination_bank_code or None,
            audit_references=[str(refund.public_id)],
        )
    except monnify_errors.MonnifyAuthError:
        Refund.objects.filter(pk=refund.pk).update(next_check_at=next_poll_at())
        return refund
    except monnify_errors.MonnifyTerminalError as exc:
        try:
            found = client.refund_get(refund.reference)
        except monnify_errors.MonnifyNotFound:
            return _record_failure(refund.pk, reason=f"Monnify refused the refund ({exc.response_code}): "
                                                     f"{exc.response_message or exc.message}",
                                   provider_status=exc.response_code or "REFUSED", actor=actor)
        except monnify_errors.MonnifyError:
            Refund.objects.filter(pk=refund.pk).update(next_check_at=next_poll_at())
            return refund
        return _apply(refund.pk, found, actor)
    except monnify_errors.MonnifyError:
        Refund.objects.filter(pk=refund.pk).update(next_check_at=next_poll_at())
        return refund
    return _apply(refund.pk, result, actor)


def _apply(refund_id: int, details: RefundDetails, actor) -> Refund:
    refund = Refund.objects.select_related("wallet").get(pk=refund_id)
    if details.refund_status == "COMPLETED":
        return _record_completion(refund, details, actor)
    if details.refund_status == "FAILED":
        return _record_failure(refund_id, reason=details.comment or "Monnify reports the refund FAILED",
                               provider_status="FAILED", actor=actor)
    Refund.objects.filter(pk=refund_id, state=R.SUBMITTED).update(provider_status=details.refund_status,
                                                                  next_check_at=next_poll_at())
    return Refund.objects.get(pk=refund_id)


def _record_completion(refund: Refund, details: RefundDetails, actor) -> Refund:
    if refund.state != R.SUBMITTED:
        return refund
    capture_reference = ""
    if refund.debits_wallet:
        hold = Hold.objects.get(reference=refund.hold_reference)
        try:
            journal = hold_capture(
                hold=hold, reference=capture_reference_for(refund.reference), actor=actor,
                destination=system_account(SystemCode.MONNIFY_CLEARING, refund.currency), amount=refund.amount,
                kind=JournalKind.REFUND, narration=f"Refund of deposit {refund.transaction_reference}",
                metadata={"refund": str(refund.public_id), "reference": refund.reference},
            )
            capture_reference = journal.reference
        except HoldNotPending:
            logger.error("refund completed after its hold was released", extra={"reference": refund.reference})
            from .notifications import ops_alert

            ops_alert(text=f":rotating_light: Refund {refund.reference} completed at Monnify but its wallet hold "
                           "was no longer pending. Recover manually.", dedupe_key=f"refund-hold:{refund.reference}")
            return refund
    # What Monnify charged us for the refund, booked once (its API does not report it: a setting).
    provider_fee_book(currency=refund.currency, fee=settings.MONNIFY_REFUND_FEE,
                      reference=provider_fee_reference_for(refund.reference),
                      narration=f"Monnify fee on refund {refund.reference}",
                      metadata={"refund": str(refund.public_id), "transaction_reference": refund.transaction_reference},
                      actor=actor)
    with transaction.atomic(durable=True):
        locked = _locked(refund.pk)
        if locked.state != R.SUBMITTED:
            return locked
        _transition(locked, "complete", "payment.refund_completed", actor=actor,
                    provider_status=details.refund_status, capture_reference=capture_reference)
        deposit = Deposit.objects.select_for_update().get(pk=locked.deposit_id)
        if deposit.state == DepositState.REFUND_PENDING:
            from .deposits import _transition as deposit_transition

            deposit_transition(deposit, "refunded", "payment.refunded", actor=actor,
                               payload={"refund": str(locked.public_id), "refund_reference": locked.reference})
    return locked


def _record_failure(refund_id: int, *, reason: str, actor, provider_status: str = "") -> Refund:
    refund = Refund.objects.get(pk=refund_id)
    if refund.state not in (R.REQUESTED, R.SUBMITTED):
        return refund
    if refund.debits_wallet:
        hold = Hold.objects.filter(reference=refund.hold_reference).first()
        if hold is not None:
            try:
                hold_release(hold=hold, actor=actor, reason=reason[:200])
            except HoldNotPending:
                if Hold.objects.filter(pk=hold.pk, status=HoldStatus.CAPTURED).exists():
                    return Refund.objects.get(pk=refund_id)
    with transaction.atomic(durable=True):
        locked = _locked(refund_id)
        if locked.state in (R.REQUESTED, R.SUBMITTED):
            _transition(locked, "fail", "payment.refund_failed", actor=actor, reason=reason,
                        provider_status=provider_status)
    return locked


# --- Asking again -------------------------------------------------------------------------------------------


def refund_sync(*, refund_id: int, actor=None) -> Refund:
    """Poller / webhook / staff: ask Monnify about our refund reference and apply the answer.
    Raises MonnifyError when Monnify cannot answer (rescheduled)."""
    actor = actor or Actor.system("refunds")
    refund = Refund.objects.get(pk=refund_id)
    if refund.state == R.REQUESTED:
        return refund_submit(refund_id=refund_id, actor=actor)
    if refund.state != R.SUBMITTED:
        return refund
    try:
        details = get_client().refund_get(refund.reference, audit_references=[str(refund.public_id)])
    except monnify_errors.MonnifyNotFound:
        now = timezone.now()
        if refund.submit_attempts >= settings.WITHDRAWAL_MAX_SUBMIT_ATTEMPTS:
            Refund.objects.filter(pk=refund_id).update(next_check_at=next_poll_at())
            return refund
        with transaction.atomic(durable=True):
            locked = _locked(refund_id)
            if locked.state != R.SUBMITTED or (locked.next_check_at and locked.next_check_at > now):
                return locked
            _transition(locked, "submit", "payment.refund_submitted", actor=actor, next_check_at=submit_grace_at(),
                        payload={"resubmission": True})
        return _call_initiate(locked, actor)
    except monnify_errors.MonnifyError:
        Refund.objects.filter(pk=refund_id).update(next_check_at=next_poll_at())
        raise
    return _apply(refund_id, details, actor)


def refund_requery(*, refund: Refund, actor) -> Refund:
    with transaction.atomic(durable=True):
        audit_record(action="refund.requeried", actor=actor, subject=refund,
                     references=[refund.reference, refund.public_id], payload={"state": refund.state})
    Refund.objects.filter(pk=refund.pk, state=R.SUBMITTED).update(next_check_at=timezone.now())
    try:
        return refund_sync(refund_id=refund.pk, actor=actor)
    except monnify_errors.MonnifyError:
        raise ProviderUnavailable()


def refunds_due(*, limit: int = 200) -> list[int]:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WITHDRAWAL_STALE_SECONDS)
    return list(Refund.objects.filter(Q(state=R.SUBMITTED, next_check_at__lte=now)
                                      | Q(state=R.REQUESTED, updated_at__lte=stale))
                .order_by("next_check_at", "id").values_list("pk", flat=True)[:limit])


def refunds_poll(*, limit: int = 200) -> dict[str, int]:
    counts: dict[str, int] = {}
    for refund_id in refunds_due(limit=limit):
        try:
            state = refund_sync(refund_id=refund_id).state
        except (monnify_errors.MonnifyError, DomainError) as exc:
            logger.warning("refund sync failed", extra={"refund_id": refund_id, "error": str(exc)})
            state = "error"
        counts[state] = counts.get(state, 0) + 1
    return counts
