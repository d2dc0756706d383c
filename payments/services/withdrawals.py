"""Withdrawals: money out to a bank account, never paid twice, never lost in "unknown".

The rules, and where each is enforced:

1. One reference per withdrawal, forever. ``Withdrawal.reference`` (``wd_<hex>``) is derived from
   the API's idempotency record, fixed at creation and the only reference ever sent to Monnify for
   this withdrawal. After a timeout, a 5xx or a refusal we ask Monnify about that same reference
   (``disbursement_summary``). We re-send the *same* reference only when Monnify says it has no
   record of it (404); Monnify treats the reference as the transfer's idempotency key (the sandbox
   returns the original transfer for a repeated reference), so even a re-send racing a request
   still in flight at Monnify cannot pay twice. We never switch to a new reference: a new one is
   the only way to pay twice.
2. Hold first, capture on Monnify's word. The wallet's funds (amount + fee) are held before
   anything is sent. SUCCESS (from the initiate answer, the summary, or a webhook verified by the
   summary) captures the hold in one journal: wallet -(amount+fee), Monnify clearing +amount, fees
   revenue +fee (``withdrawal:<ref>:capture``). FAILED releases it. The hold is the arbiter between
   the two: capture and release lock it, so a withdrawal can never be both paid and refunded; a
   fail path that finds the hold captured stops and lets the success path win.
3. Claim, call, record. Transaction 1 claims the row (``funds_held -> submitted``) and commits; the
   HTTP call runs outside any transaction; transaction 2 records the outcome on the re-locked row
   and never moves it backwards. The ledger services own durable transactions of their own, so a
   ledger step (capture, release, reversal) runs first, idempotently by its reference, and the
   state change follows in its own transaction; a crash between the two is healed by the next
   sync, which replays the ledger step (moving nothing) and records.
4. Unknown is never forgotten. ``submitted`` / ``unknown`` / ``processing`` /
   ``awaiting_authorization`` rows carry ``next_check_at``; the poller asks Monnify about each when
   due; the end-of-day report alerts ops about any still unresolved after
   WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS. Past the hold's expiry, the hold is released only when
   Monnify confirms the transfer failed or that it has no record of it.
5. REVERSED (after SUCCESS) credits the customer back exactly once: the reversal of the capture
   journal (``withdrawal:<ref>:reversal``), amount and fee. A REVERSED seen before the SUCCESS was
   recorded first captures (one debit) and then reverses (one credit back).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.enqueue import safe_enqueue
from cozonpay.exceptions import DomainError, InvalidStateTransition, NotFound
from wallets.exceptions import HoldNotPending, LedgerError
from wallets.models import AccountKind, Hold, HoldStatus, Journal, JournalKind, LedgerAccount, SystemCode
from wallets.selectors import fee_for
from wallets.services import (
    PostingSpec,
    hold_capture,
    hold_place,
    hold_release,
    journal_reverse,
    provider_fee_book,
    system_account,
)

from ..clients.monnify import errors as monnify_errors
from ..clients.monnify.client import get_client
from ..clients.monnify.types import Disbursement
from ..exceptions import ProviderUnavailable
from ..models import (
    WITHDRAWAL_AT_PROVIDER_STATES,
    WITHDRAWAL_FINAL_STATES,
    WITHDRAWAL_PENDING_STATES,
    Withdrawal,
    WithdrawalState,
)
from .notifications import ops_alert
from .transitions import next_poll_at, submit_grace_at
from .transitions import transition_apply as _transition

logger = logging.getLogger("payments.withdrawals")

S = WithdrawalState
AUTHORIZATION_STATUSES = ("PENDING_AUTHORIZATION", "PENDING_BATCH_AUTHORIZATION", "OTP_EMAIL_DISPATCH_FAILED")
SYSTEM = "withdrawals"


def reference_for(idempotency_id: Any) -> str:
    """The withdrawal's reference, derived from the API idempotency record so a re-run of the same
    request finds the same withdrawal instead of creating a second one."""
    return f"wd_{uuid.UUID(str(idempotency_id)).hex}"


def hold_reference_for(reference: str) -> str:
    return f"withdrawal:{reference}"


def capture_reference_for(reference: str) -> str:
    return f"withdrawal:{reference}:capture"


def reversal_reference_for(reference: str) -> str:
    return f"withdrawal:{reference}:reversal"


def provider_fee_reference_for(reference: str) -> str:
    return f"monnify:fee:disbursement:{reference}"


def _system_actor() -> Actor:
    return Actor.system(SYSTEM)


def _locked(withdrawal_id: int) -> Withdrawal:
    return Withdrawal.objects.select_for_update().get(pk=withdrawal_id)


def _enqueue_submit(withdrawal_id: int) -> None:
    from ..tasks import withdrawal_submit_task

    safe_enqueue(withdrawal_submit_task, args=(withdrawal_id,))


def _reschedule(withdrawal_id: int, at=None) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id).update(next_check_at=at or next_poll_at())


# --- Creation: record, hold, accept ---------------------------------------------------------------------


def withdrawal_create(*, user, wallet: LedgerAccount, amount: int, bank_code: str, bank_name: str,
                      account_number: str, account_name: str, narration: str, reference: str) -> Withdrawal:
    """Record a withdrawal (initiated), hold amount + fee on the wallet, accept it (funds_held) and
    queue its submission on commit. Idempotent by ``reference``: a re-run returns the same row.

    A refusal of the hold (insufficient funds, KYC limit, wallet frozen) leaves the withdrawal
    ``failed`` with nothing held (the row is kept: the customer's list and the audit trail show the
    refused attempt) and raises the ledger's error, which the API answers 422."""
    existing = Withdrawal.objects.filter(reference=reference).first()
    if existing is None:
        if wallet.kind != AccountKind.CUSTOMER_WALLET or wallet.owner_id != user.pk:
            raise NotFound()
        if wallet.currency != "NGN":
            raise DomainError("Withdrawals are paid out in naira only.", code="currency_mismatch")
        with transaction.atomic(durable=True):
            existing, created = Withdrawal.objects.get_or_create(
                reference=reference,
                defaults={"user": user, "wallet": wallet, "amount": amount, "fee": fee_for("withdrawal", amount),
                          "currency": wallet.currency, "bank_code": bank_code, "bank_name": bank_name[:100],
                          "account_number": account_number, "account_name": account_name[:200],
                          "narration": narration[:100], "hold_reference": hold_reference_for(reference)},
            )
            if created:
                audit_record(action="withdrawal.initiated", actor=user, subject=existing,
                             references=[existing.reference, existing.public_id],
                             payload={"amount": amount, "fee": existing.fee, "currency": existing.currency,
                                      "wallet": str(wallet.public_id), "bank_code": bank_code,
                                      "account_number": account_number, "account_name": account_name})
    if existing.state != S.INITIATED:
        return existing
    return withdrawal_hold(withdrawal_id=existing.pk, actor=Actor.of_user(user))


def withdrawal_hold(*, withdrawal_id: int, actor=None) -> Withdrawal:
    """Hold amount + fee (the ledger's own durable transaction; idempotent by the hold reference),
    then move initiated -> funds_held and queue the submission. Also how the poller re-drives an
    ``initiated`` row whose request died between the two."""
    actor = actor or _system_actor()
    withdrawal = Withdrawal.objects.select_related("wallet").get(pk=withdrawal_id)
    if withdrawal.state != S.INITIATED:
        return withdrawal
    try:
        hold = hold_place(account=withdrawal.wallet, amount=withdrawal.total,
                          reference=hold_reference_for(withdrawal.reference),
                          expires_at=timezone.now() + timedelta(seconds=settings.WITHDRAWAL_HOLD_TTL_SECONDS),
                          actor=actor)
    except LedgerError as exc:
        with transaction.atomic(durable=True):
            locked = _locked(withdrawal_id)
            if locked.state == S.INITIATED:
                # payment.refused: the API answers the refusal itself; no customer notification.
                _transition(locked, "fail", "payment.refused", actor=actor, reason=f"{exc.code}: {exc.message}",
                            payload={"code": exc.code})
        raise
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if locked.state != S.INITIATED:
            return locked
        _transition(locked, "hold_placed", "payment.initiated", actor=actor, hold_reference=hold.reference,
                    hold_expires_at=hold.expires_at)
        transaction.on_commit(lambda: _enqueue_submit(withdrawal_id))
    return locked


# --- Submission: claim, call, record --------------------------------------------------------------------


def withdrawal_submit(*, withdrawal_id: int, actor=None) -> Withdrawal:
    """Send the transfer to Monnify, once: claim (funds_held -> submitted, commit), call, record.
    Anything but ``funds_held`` is left alone (a redelivered task, a second worker)."""
    actor = actor or _system_actor()
    with transaction.atomic(durable=True):
        withdrawal = _locked(withdrawal_id)
        if withdrawal.state != S.FUNDS_HELD:
            return withdrawal
        _transition(withdrawal, "submit", "payment.provider_submitted", actor=actor, next_check_at=submit_grace_at())
    return _call_initiate(withdrawal, actor)


def _call_initiate(withdrawal: Withdrawal, actor) -> Withdrawal:
    try:
        result = get_client().disbursement_initiate(
            reference=withdrawal.reference, amount_kobo=withdrawal.amount,
            narration=withdrawal.narration or "CozonPay withdrawal",
            destination_bank_code=withdrawal.bank_code, destination_account_number=withdrawal.account_number,
            destination_account_name=withdrawal.account_name, currency=withdrawal.currency,
            audit_references=[str(withdrawal.public_id)],
        )
    except monnify_errors.MonnifyAuthError as exc:  # our credentials: nothing done, try again later
        return _record_unknown(withdrawal.pk, f"credentials refused: {exc}", actor)
    except monnify_errors.MonnifyTerminalError as exc:
        return _after_refusal(withdrawal.pk, exc, actor)
    except monnify_errors.MonnifyError as exc:  # unknown outcome (timeout/5xx after sending) or not sent
        return _record_unknown(withdrawal.pk, f"{exc.kind}: {exc}", actor)
    return _apply(withdrawal.pk, _with_transaction_reference(withdrawal, result), actor)


def _with_transaction_reference(withdrawal: Withdrawal, result: Disbursement) -> Disbursement:
    """The initiate / validate-otp answer carries no MFDS transactionReference (support needs it): for
    a success, best-effort read the summary (the authoritative description) instead."""
    if not result.is_success or result.transaction_reference:
        return result
    try:
        summary = get_client().disbursement_summary(withdrawal.reference, audit_references=[str(withdrawal.public_id)])
    except monnify_errors.MonnifyError:
        return result
    return summary if summary.reference == withdrawal.reference else result


def _after_refusal(withdrawal_id: int, exc: monnify_errors.MonnifyTerminalError, actor) -> Withdrawal:
    """Monnify refused the initiate call (D07 duplicate, a validation error, a repeated reference
    answered as an error...). A refusal of *this request* is not proof that no transfer exists for
    our reference (a repeated reference may be refused while the first is paid), so ask first: a
    transfer found is recorded as Monnify describes it; none found (404) fails the withdrawal and
    releases the hold."""
    reference = Withdrawal.objects.values_list("reference", flat=True).get(pk=withdrawal_id)
    try:
        found = get_client().disbursement_summary(reference)
    except monnify_errors.MonnifyNotFound:
        if exc.response_code == "D07":
            reason = ("Monnify refused it as a duplicate: a transfer of the same amount to the same account was "
                      "made in the last 2 minutes. Try again in a few minutes.")
        else:
            reason = f"Monnify refused the transfer: {exc.response_message or exc.message}"
        return _record_failure(withdrawal_id, reason=reason, provider_status=exc.response_code or "REFUSED",
                               actor=actor)
    except monnify_errors.MonnifyError as query_exc:
        return _record_unknown(withdrawal_id, f"refused ({exc}), then the summary failed: {query_exc}", actor)
    return _apply(withdrawal_id, found, actor)


def _record_unknown(withdrawal_id: int, reason: str, actor) -> Withdrawal:
    with transaction.atomic(durable=True):
        withdrawal = _locked(withdrawal_id)
        if withdrawal.state == S.SUBMITTED:
            return _transition(withdrawal, "outcome_unknown", "payment.outcome_unknown", actor=actor,
                               reason=reason, next_check_at=next_poll_at())
        if withdrawal.state in WITHDRAWAL_AT_PROVIDER_STATES:
            withdrawal.next_check_at = next_poll_at()
            withdrawal.save(update_fields=["next_check_at"])
    return withdrawal


# --- Recording what Monnify says --------------------------------------------------------------------------


def _apply(withdrawal_id: int, result: Disbursement, actor) -> Withdrawal:
    """Apply one of Monnify's descriptions of our transfer (initiate, validate-otp or summary
    answer). Idempotent and monotonic: the same answer twice moves nothing twice."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if (result.reference and result.reference != withdrawal.reference) or (
            result.amount_kobo and result.amount_kobo != withdrawal.amount):
        ops_alert(text=f"Withdrawal {withdrawal.reference}: Monnify describes a different transfer "
                       f"({result.reference}, {result.amount_kobo} kobo); left for a person.",
                  dedupe_key=f"withdrawal-mismatch:{withdrawal.reference}")
        _reschedule(withdrawal_id)
        return withdrawal
    if result.is_success:
        return _record_success(withdrawal_id, result, actor)
    if result.is_reversed:
        _record_success(withdrawal_id, result, actor)
        return _record_reversal(withdrawal_id, result, actor)
    if result.is_failed:
        return _record_failure(withdrawal_id, reason=result.comment or f"Monnify reports {result.status}",
                               provider_status=result.status, transaction_reference=result.transaction_reference,
                               actor=actor)
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if result.status in AUTHORIZATION_STATUSES:
            if locked.state in (S.SUBMITTED, S.UNKNOWN):
                _transition(locked, "authorization_required", "payment.authorization_required", actor=actor,
                            provider_status=result.status, transaction_reference=result.transaction_reference)
        elif locked.state in (S.SUBMITTED, S.UNKNOWN, S.AWAITING_AUTHORIZATION):
            _transition(locked, "accepted", "payment.processing", actor=actor, provider_status=result.status,
                        transaction_reference=result.transaction_reference)
        if locked.state in WITHDRAWAL_AT_PROVIDER_STATES:
            locked.next_check_at = next_poll_at()
            locked.save(update_fields=["next_check_at"])
    return locked


def _record_success(withdrawal_id: int, result: Disbursement, actor) -> Withdrawal:
    withdrawal = Withdrawal.objects.select_related("wallet").get(pk=withdrawal_id)
    if withdrawal.state in (S.SUCCEEDED, S.REVERSED):
        return withdrawal
    if withdrawal.state not in WITHDRAWAL_AT_PROVIDER_STATES:
        _paid_without_hold(withdrawal, result, actor)
        return withdrawal
    clearing = system_account(SystemCode.MONNIFY_CLEARING, withdrawal.currency)
    credits = [PostingSpec(clearing, withdrawal.amount)]
    if withdrawal.fee:
        credits.append(PostingSpec(system_account(SystemCode.FEES_REVENUE, withdrawal.currency), withdrawal.fee))
    hold = Hold.objects.get(reference=withdrawal.hold_reference)
    try:
        journal = hold_capture(
            hold=hold, reference=capture_reference_for(withdrawal.reference), actor=actor, credits=credits,
            kind=JournalKind.WITHDRAWAL,
            narration=f"Withdrawal to {withdrawal.bank_name or withdrawal.bank_code} "
                      f"****{withdrawal.account_number[-4:]}",
            metadata={"withdrawal": str(withdrawal.public_id), "reference": withdrawal.reference,
                      "transaction_reference": result.transaction_reference, "fee": withdrawal.fee},
        )
    except HoldNotPending:
        _paid_without_hold(withdrawal, result, actor)
        return Withdrawal.objects.get(pk=withdrawal_id)
    if result.fee_kobo:  # what Monnify charged us for the transfer, booked once
        provider_fee_book(currency=withdrawal.currency, fee=result.fee_kobo,
                          reference=provider_fee_reference_for(withdrawal.reference),
                          narration=f"Monnify fee on withdrawal {withdrawal.reference}",
                          metadata={"withdrawal": str(withdrawal.public_id),
                                    "transaction_reference": result.transaction_reference}, actor=actor)
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if locked.state in WITHDRAWAL_AT_PROVIDER_STATES:
            _transition(locked, "succeed", "payment.confirmed", actor=actor, provider_status=result.status,
                        transaction_reference=result.transaction_reference, capture_reference=journal.reference,
                        provider_fee=result.fee_kobo)
    return locked


def _paid_without_hold(withdrawal: Withdrawal, result: Disbursement, actor) -> None:
    """Monnify says a transfer we already gave up on (hold released) was paid. No automatic money
    movement can be right here (the customer may have spent the funds): tell ops, loudly, once."""
    logger.error("withdrawal paid after its hold was released", extra={"reference": withdrawal.reference})
    with transaction.atomic(durable=True):
        audit_record(action="withdrawal.paid_after_release", actor=actor, subject=withdrawal,
                     references=[withdrawal.reference, result.transaction_reference, withdrawal.public_id],
                     payload={"state": withdrawal.state, "provider_status": result.status,
                              "amount": withdrawal.amount})
    ops_alert(text=f":rotating_light: Withdrawal {withdrawal.reference} ({withdrawal.amount} kobo) is {result.status} "
                   f"at Monnify but was {withdrawal.state} here with its hold released. Recover manually.",
              dedupe_key=f"withdrawal-paid-after-release:{withdrawal.reference}")


def _record_failure(withdrawal_id: int, *, reason: str, actor, provider_status: str = "",
                    transaction_reference: str = "", method: str = "fail") -> Withdrawal:
    """Release the hold (ledger first), then fail the withdrawal. If the hold turns out to be
    captured (a SUCCESS was recorded meanwhile) nothing is failed: the payout stands."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    allowed = (S.AWAITING_AUTHORIZATION,) if method == "reject" else WITHDRAWAL_PENDING_STATES
    if withdrawal.state not in allowed:
        return withdrawal
    hold = Hold.objects.filter(reference=withdrawal.hold_reference).first() if withdrawal.hold_reference else None
    if hold is not None:
        try:
            hold_release(hold=hold, actor=actor, reason=reason[:200])
        except HoldNotPending:
            if Hold.objects.filter(pk=hold.pk, status=HoldStatus.CAPTURED).exists():
                logger.warning("fail refused: the hold is captured", extra={"reference": withdrawal.reference})
                return Withdrawal.objects.get(pk=withdrawal_id)
            # expired: its funds are back in the wallet already
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if locked.state in allowed:
            kwargs: dict[str, Any] = {"reason": reason}
            if method == "fail":
                kwargs.update(provider_status=provider_status, transaction_reference=transaction_reference)
            _transition(locked, method, "payment.failed", actor=actor, **kwargs)
    return locked


def _record_reversal(withdrawal_id: int, result: Disbursement, actor) -> Withdrawal:
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.state != S.SUCCEEDED:
        return withdrawal
    capture = Journal.objects.get(reference=withdrawal.capture_reference)
    reversal = journal_reverse(journal=capture, actor=actor, reference=reversal_reference_for(withdrawal.reference),
                               narration=f"Withdrawal {withdrawal.reference} reversed by the bank")
    fee = Journal.objects.filter(reference=provider_fee_reference_for(withdrawal.reference)).first()
    if fee is not None:  # a reversed transfer gives Monnify's fee back with the amount
        journal_reverse(journal=fee, actor=actor,
                        narration=f"Monnify fee on reversed withdrawal {withdrawal.reference}")
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if locked.state == S.SUCCEEDED:
            _transition(locked, "reverse", "payment.reversed", actor=actor, provider_status=result.status,
                        reversal_reference=reversal.reference)
    return locked


# --- Asking Monnify again (poller, webhooks, staff) --------------------------------------------------------


def withdrawal_sync(*, withdrawal_id: int, actor=None) -> Withdrawal:
    """Bring a withdrawal up to date with Monnify: re-drive a stale initiated/funds_held row, or ask
    about our reference (summary) and apply the answer. Raises MonnifyError when Monnify cannot
    answer (the row is rescheduled; the caller may retry)."""
    actor = actor or _system_actor()
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.state == S.INITIATED:
        return withdrawal_hold(withdrawal_id=withdrawal_id, actor=actor)
    if withdrawal.state == S.FUNDS_HELD:
        return withdrawal_submit(withdrawal_id=withdrawal_id, actor=actor)
    if withdrawal.state in (S.FAILED, S.REVERSED):
        return withdrawal
    Withdrawal.objects.filter(pk=withdrawal_id).update(check_attempts=F("check_attempts") + 1,
                                                       last_checked_at=timezone.now())
    try:
        result = get_client().disbursement_summary(withdrawal.reference,
                                                   audit_references=[str(withdrawal.public_id)])
    except monnify_errors.MonnifyNotFound:
        return _record_not_found(withdrawal_id, actor)
    except monnify_errors.MonnifyError:
        if withdrawal.state in WITHDRAWAL_AT_PROVIDER_STATES:
            _reschedule(withdrawal_id)
        raise
    return _apply(withdrawal_id, result, actor)


def _record_not_found(withdrawal_id: int, actor) -> Withdrawal:
    """Monnify has no transfer with our reference. Only a withdrawal that never got a positive answer
    (submitted / unknown) can be re-sent, with the SAME reference, and only if no other claim is in
    flight. Past the hold's expiry (or after WITHDRAWAL_MAX_SUBMIT_ATTEMPTS sends) it is failed and
    the hold released instead."""
    now = timezone.now()
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.state not in (S.SUBMITTED, S.UNKNOWN):
        if withdrawal.state in WITHDRAWAL_AT_PROVIDER_STATES:
            ops_alert(text=f"Withdrawal {withdrawal.reference} is {withdrawal.state} but Monnify has no record of it.",
                      dedupe_key=f"withdrawal-vanished:{withdrawal.reference}")
            _reschedule(withdrawal_id)
        return withdrawal
    if withdrawal.hold_expires_at and withdrawal.hold_expires_at <= now:
        return _record_failure(withdrawal_id, reason="Monnify has no record of the transfer; nothing was paid.",
                               provider_status="NOT_FOUND", actor=actor)
    if withdrawal.submit_attempts >= settings.WITHDRAWAL_MAX_SUBMIT_ATTEMPTS:
        _reschedule(withdrawal_id)  # stays unresolved for ops until the hold expires
        return withdrawal
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal_id)
        if locked.state not in (S.SUBMITTED, S.UNKNOWN) or (locked.next_check_at and locked.next_check_at > now):
            return locked  # another claim is in flight
        _transition(locked, "submit", "payment.provider_submitted", actor=actor, next_check_at=submit_grace_at(),
                    payload={"resubmission": True})
    return _call_initiate(locked, actor)


def withdrawal_requery(*, withdrawal: Withdrawal, actor) -> Withdrawal:
    """Staff: ask Monnify now (audited). Monnify unreachable -> ProviderUnavailable."""
    with transaction.atomic(durable=True):
        audit_record(action="withdrawal.requeried", actor=actor, subject=withdrawal,
                     references=[withdrawal.reference, withdrawal.public_id], payload={"state": withdrawal.state})
    Withdrawal.objects.filter(pk=withdrawal.pk, state__in=WITHDRAWAL_AT_PROVIDER_STATES).update(
        next_check_at=timezone.now())
    try:
        return withdrawal_sync(withdrawal_id=withdrawal.pk, actor=actor)
    except monnify_errors.MonnifyError:
        raise ProviderUnavailable()


# --- OTP authorization by Finance --------------------------------------------------------------------------


def withdrawal_authorize(*, withdrawal: Withdrawal, code: str, actor) -> Withdrawal:
    """Finance enters the OTP Monnify e-mailed: claim (awaiting_authorization -> submitted), call
    validate-otp, record. A refused code puts it back to awaiting_authorization (if Monnify still
    waits for one) and raises a 422 for the admin to show."""
    with transaction.atomic(durable=True):
        locked = _locked(withdrawal.pk)
        if locked.state != S.AWAITING_AUTHORIZATION:
            raise InvalidStateTransition(f"Only a withdrawal awaiting authorization can be authorized "
                                         f"(this one is {locked.state}).")
        _transition(locked, "authorization_submitted", "payment.authorization_submitted", actor=actor,
                    next_check_at=submit_grace_at())
    client = get_client()
    try:
        result = client.disbursement_validate_otp(reference=locked.reference, authorization_code=code,
                                                  audit_references=[str(locked.public_id)])
    except monnify_errors.MonnifyTerminalError as exc:
        try:
            current = client.disbursement_summary(locked.reference)
        except monnify_errors.MonnifyError:
            return _record_unknown(locked.pk, f"validate-otp refused ({exc}); summary unavailable", actor)
        if current.status in AUTHORIZATION_STATUSES:
            with transaction.atomic(durable=True):
                again = _locked(locked.pk)
                if again.state == S.SUBMITTED:
                    _transition(again, "authorization_required", "payment.authorization_required", actor=actor,
                                provider_status=current.status)
            raise DomainError(f"Monnify refused the authorization code: {exc.response_message or exc.message}",
                              code="authorization_refused", http_status=422)
        return _apply(locked.pk, current, actor)
    except monnify_errors.MonnifyError as exc:
        return _record_unknown(locked.pk, f"validate-otp {exc.kind}: {exc}", actor)
    return _apply(locked.pk, _with_transaction_reference(locked, result), actor)


def withdrawal_reject(*, withdrawal: Withdrawal, actor, reason: str) -> Withdrawal:
    """Finance declines a transfer waiting for its OTP: check Monnify still waits (it may have been
    authorized elsewhere), release the hold, fail it."""
    current = Withdrawal.objects.get(pk=withdrawal.pk)
    if current.state != S.AWAITING_AUTHORIZATION:
        raise InvalidStateTransition(f"Only a withdrawal awaiting authorization can be rejected "
                                     f"(this one is {current.state}).")
    try:
        result = get_client().disbursement_summary(current.reference)
    except monnify_errors.MonnifyNotFound:
        result = None
    except monnify_errors.MonnifyError:
        raise ProviderUnavailable()
    if result is not None and result.status not in AUTHORIZATION_STATUSES and not result.is_failed:
        applied = _apply(current.pk, result, actor)
        raise InvalidStateTransition(f"Monnify already has this transfer as {result.status}; it is now "
                                     f"{applied.state} and cannot be rejected.")
    done = _record_failure(current.pk, reason=f"Rejected by staff: {reason}"[:255], actor=actor, method="reject")
    if done.state != S.FAILED:
        raise InvalidStateTransition(f"The withdrawal is {done.state} and cannot be rejected.")
    return done


# --- Pollers and reports --------------------------------------------------------------------------------


def withdrawals_due(*, limit: int = 200) -> list[int]:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WITHDRAWAL_STALE_SECONDS)
    return list(
        Withdrawal.objects.filter(
            Q(state__in=WITHDRAWAL_AT_PROVIDER_STATES, next_check_at__lte=now)
            | Q(state__in=(S.INITIATED, S.FUNDS_HELD), updated_at__lte=stale)
        ).order_by("next_check_at", "id").values_list("pk", flat=True)[:limit]
    )


def withdrawals_poll(*, limit: int = 200) -> dict[str, int]:
    """One poller pass: every due withdrawal synced with Monnify. Failures of one do not stop the
    others (each is rescheduled)."""
    counts: dict[str, int] = {}
    for withdrawal_id in withdrawals_due(limit=limit):
        try:
            state = withdrawal_sync(withdrawal_id=withdrawal_id).state
        except (monnify_errors.MonnifyError, DomainError) as exc:
            logger.warning("withdrawal sync failed", extra={"withdrawal_id": withdrawal_id, "error": str(exc)})
            state = "error"
        counts[state] = counts.get(state, 0) + 1
    return counts


def withdrawals_unresolved(*, older_than_seconds: int = 0) -> list[Withdrawal]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(Withdrawal.objects.filter(state__in=WITHDRAWAL_PENDING_STATES, created_at__lte=cutoff)
                .order_by("created_at"))


def withdrawals_eod_report() -> dict[str, Any]:
    """End of day: list every payout not yet final (for ops, in the log) and alert Slack about
    those older than WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS."""
    pending = withdrawals_unresolved()
    old = [w for w in pending
           if w.created_at <= timezone.now() - timedelta(seconds=settings.WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS)]
    lines = [f"{w.reference} {w.state} {w.amount} kobo since {w.created_at:%Y-%m-%d %H:%M} UTC "
             f"(provider status {w.provider_status or '-'}, {w.submit_attempts} sends)" for w in pending]
    logger.info("withdrawals end-of-day report", extra={"unresolved": lines})
    if old:
        text = (f":warning: {len(old)} withdrawal(s) unresolved for more than "
                f"{settings.WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS // 60} minutes:\n"
                + "\n".join(f"• {w.reference} ({w.state}, {w.amount} kobo)" for w in old[:50]))
        ops_alert(text=text, dedupe_key=f"withdrawals-eod:{timezone.now():%Y-%m-%d}")
    return {"unresolved": len(pending), "alerted": len(old), "references": [w.reference for w in old]}


def is_final(withdrawal: Withdrawal) -> bool:
    return withdrawal.state in WITHDRAWAL_FINAL_STATES
