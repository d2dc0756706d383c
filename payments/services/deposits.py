"""Deposits: money in through Monnify, credited exactly once, and only on Monnify's word.

Exactly once. The credit is the ledger journal `monnify:txn:<transactionReference>`: the ledger
posts a reference at most once, so however many webhooks, polls, redirects and staff replays race
to verify one payment, the wallet moves once. The deposit's own state follows in a transaction
that re-reads it under a row lock and never moves it backwards.

Verified. A webhook, a redirect or an init response is only a reason to ask Monnify's status API
(`deposit_verify`). Only PAID or OVERPAID, in our currency, credits, and it credits `amountPaid`
as Monnify reports it, never more.

No network call inside a transaction: claim (commit), call Monnify, record (commit).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.exceptions import DomainError, NotFound
from wallets.models import LedgerAccount

from ..clients.monnify import errors as monnify_errors
from ..clients.monnify.client import get_client
from ..events.services import outbox_emit
from ..exceptions import ProviderUnavailable
from ..models import (
    DEPOSIT_FINAL_STATES,
    Deposit,
    DepositChannel,
    DepositFlag,
    DepositState,
)
from .transitions import next_poll_at
from .transitions import transition_apply as _transition

logger = logging.getLogger("payments.deposits")

PAID_STATUSES = ("PAID", "OVERPAID")
FAILED_STATUSES = ("FAILED", "ABANDONED", "CANCELLED")


def journal_reference_for(transaction_reference: str) -> str:
    return f"monnify:txn:{transaction_reference}"


def _locked(deposit_id: int) -> Deposit:
    return Deposit.objects.select_for_update().get(pk=deposit_id)


# --- Checkout --------------------------------------------------------------------------------------


def deposit_checkout_create(*, user, wallet: LedgerAccount, amount: int) -> Deposit:
    """Start a hosted-checkout deposit: record it (commit), initialize at Monnify, record the
    checkout URL (commit). Any failure to initialize leaves a failed deposit and no money moved;
    the customer may simply try again (a fresh paymentReference each attempt)."""
    if wallet.owner_id != user.pk:
        raise NotFound()
    from wallets.models import AccountStatus

    if wallet.status != AccountStatus.ACTIVE:
        raise DomainError("This wallet cannot receive deposits.", code="wallet_unavailable")
    with transaction.atomic(durable=True):
        deposit = Deposit.objects.create(
            user=user, wallet=wallet, channel=DepositChannel.CHECKOUT, currency=wallet.currency, amount=amount,
            payment_reference=f"dep_{uuid.uuid4().hex}",
        )
        outbox_emit(event_type="payment.initiated", aggregate=deposit, reference=deposit.payment_reference,
                    payload={"deposit": str(deposit.public_id), "amount": amount, "channel": deposit.channel})
        audit_record(action="deposit.initiated", actor=user, subject=deposit,
                     references=[deposit.payment_reference, deposit.public_id],
                     payload={"amount": amount, "currency": deposit.currency, "wallet": str(wallet.public_id)})
    try:
        result = get_client().init_transaction(
            amount_kobo=amount, payment_reference=deposit.payment_reference, customer_email=user.email,
            customer_name=user.full_name, payment_description=f"CozonPay wallet top-up {deposit.public_id}",
            redirect_url=f"{settings.PUBLIC_BASE_URL}/payments/return", currency=deposit.currency,
            audit_references=[str(deposit.public_id)],
        )
    except monnify_errors.MonnifyError as exc:
        with transaction.atomic(durable=True):
            locked = _locked(deposit.pk)
            if locked.state == DepositState.INITIATED:
                _transition(locked, "fail", "payment.failed", actor=Actor.system("deposits"),
                            reason=f"checkout could not be initialized ({exc.kind})")
        raise ProviderUnavailable("We could not reach our payment provider. Please try again.")
    expires_at = timezone.now() + timedelta(seconds=settings.DEPOSIT_CHECKOUT_TTL_SECONDS)
    with transaction.atomic(durable=True):
        locked = _locked(deposit.pk)
        if locked.state == DepositState.INITIATED:
            _transition(locked, "provider_submitted", "payment.provider_submitted", actor=Actor.system("deposits"),
                        transaction_reference=result.transaction_reference, checkout_url=result.checkout_url,
                        expires_at=expires_at)
            locked.next_check_at = next_poll_at()
            locked.save(update_fields=["next_check_at"])
    return locked


# --- Bank transfers into the dedicated account ------------------------------------------------------


def deposit_bank_transfer_record(*, transaction_reference: str, account_reference: str, amount: int,
                                 currency: str = "NGN", payer_name: str = "") -> Deposit | None:
    """Record that Monnify reports a transfer into a dedicated account (webhook or poller). Keyed by
    Monnify's transactionReference, so it is created once whoever reports it first. Returns None
    when the account reference is not one of our wallets."""
    try:  # ours are our wallets' public ids: anything else names no wallet of ours
        wallet_id = uuid.UUID(str(account_reference))
    except ValueError:
        return None
    existing = Deposit.objects.filter(transaction_reference=transaction_reference).first()
    if existing:
        return existing
    wallet = LedgerAccount.objects.filter(public_id=wallet_id).select_related("owner").first()
    if wallet is None or wallet.owner_id is None:
        return None
    with transaction.atomic(durable=True):
        deposit, created = Deposit.objects.get_or_create(
            transaction_reference=transaction_reference,
            defaults={
                "user": wallet.owner, "wallet": wallet, "channel": DepositChannel.BANK_TRANSFER,
                "payment_reference": transaction_reference, "currency": currency, "amount": max(amount, 1),
                "payer_name": payer_name[:200], "next_check_at": timezone.now(),
            },
        )
        if created:
            # Born awaiting verification: Monnify says money arrived; we check before crediting.
            _transition(deposit, "provider_submitted", "payment.initiated", actor=Actor.provider("monnify"),
                        transaction_reference=transaction_reference, checkout_url="", expires_at=None)
    return deposit


# --- Verification: the only path to a credit ---------------------------------------------------------


def deposit_verify(*, deposit_id: int, actor=None) -> Deposit:
    """Ask Monnify about this deposit and apply what it says. Idempotent and safe to run
    concurrently: the journal reference guarantees one credit, the row lock one state change.
    Raises MonnifyError (retryable/unknown) when Monnify cannot answer; the caller retries."""
    actor = actor or Actor.system("deposits")
    with transaction.atomic(durable=True):
        deposit = _locked(deposit_id)
        if deposit.state in DEPOSIT_FINAL_STATES or deposit.state in (DepositState.CREDITED,
                                                                       DepositState.REFUND_PENDING):
            return deposit
        if deposit.state == DepositState.INITIATED:
            return deposit  # init still in flight; its own flow records the outcome
        if deposit.state == DepositState.AWAITING_PAYMENT:
            _transition(deposit, "verification_started", "payment.verifying", actor=actor)
        Deposit.objects.filter(pk=deposit.pk).update(check_attempts=deposit.check_attempts + 1,
                                                     last_checked_at=timezone.now())
    client = get_client()
    refs = [str(deposit.public_id), deposit.payment_reference]
    try:
        if deposit.transaction_reference:
            status = client.transaction_status(deposit.transaction_reference, audit_references=refs)
        else:
            status = client.transaction_status_by_payment_reference(deposit.payment_reference,
                                                                    audit_references=refs)
    except monnify_errors.MonnifyNotFound:
        return _record_not_found(deposit, actor)
    except monnify_errors.MonnifyError:
        _schedule_recheck(deposit.pk)
        raise
    return _apply_status(deposit.pk, status, actor)


def _schedule_recheck(deposit_id: int, seconds: int | None = None) -> None:
    delay = seconds if seconds is not None else settings.PAYMENTS_POLL_INTERVAL_SECONDS
    Deposit.objects.filter(pk=deposit_id).update(next_check_at=timezone.now() + timedelta(seconds=delay))


def _record_not_found(deposit: Deposit, actor) -> Deposit:
    with transaction.atomic(durable=True):
        locked = _locked(deposit.pk)
        expired = locked.expires_at and locked.expires_at + timedelta(
            seconds=settings.DEPOSIT_EXPIRY_MARGIN_SECONDS) < timezone.now()
        if locked.state == DepositState.VERIFYING and locked.channel == DepositChannel.CHECKOUT:
            if expired:
                return _transition(locked, "expire", "payment.expired", actor=actor, provider_status="NOT_FOUND")
            return _transition(locked, "still_pending", "payment.pending", actor=actor, provider_status="NOT_FOUND")
    _schedule_recheck(deposit.pk)
    return locked


def _apply_status(deposit_id: int, status, actor) -> Deposit:
    deposit = Deposit.objects.get(pk=deposit_id)
    provider_status = status.payment_status
    if provider_status in PAID_STATUSES:
        return _credit(deposit, status, actor)
    if provider_status == "PARTIALLY_PAID":  # collected (and refunded, not credited): Monnify kept its fee
        _book_collection_fee(deposit, status, actor)
    with transaction.atomic(durable=True):
        locked = _locked(deposit_id)
        if locked.state != DepositState.VERIFYING:
            return locked
        if provider_status in FAILED_STATUSES:
            return _transition(locked, "fail", "payment.failed", actor=actor,
                               reason=f"Monnify reports {provider_status}", provider_status=provider_status)
        if provider_status == "EXPIRED":
            return _transition(locked, "expire", "payment.expired", actor=actor, provider_status=provider_status)
        if provider_status == "PARTIALLY_PAID":
            return _transition(
                locked, "credit_refused", "payment.credit_refused", actor=actor, amount_paid=status.amount_paid_kobo,
                provider_status=provider_status, flag=DepositFlag.PARTIALLY_PAID,
                reason="Only part of the amount was paid; it is refunded, not credited.",
            )
        if provider_status == "REVERSED":
            return _transition(locked, "fail", "payment.failed", actor=actor,
                               reason="Monnify reversed the payment before we credited it",
                               provider_status=provider_status)
        # PENDING or anything not final: ask again later.
        if locked.channel == DepositChannel.CHECKOUT:
            expired = locked.expires_at and locked.expires_at + timedelta(
                seconds=settings.DEPOSIT_EXPIRY_MARGIN_SECONDS) < timezone.now()
            if expired:
                return _transition(locked, "expire", "payment.expired", actor=actor, provider_status=provider_status)
            _transition(locked, "still_pending", "payment.pending", actor=actor, provider_status=provider_status)
    _schedule_recheck(deposit_id)
    return Deposit.objects.get(pk=deposit_id)


def _credit(deposit: Deposit, status, actor) -> Deposit:
    from wallets.exceptions import LedgerError
    from wallets.models import AccountStatus
    from wallets.services.journals import wallet_credit_from_provider

    amount_paid = status.amount_paid_kobo
    flag = ""
    reason = ""
    wallet_status = LedgerAccount.objects.values_list("status", flat=True).get(pk=deposit.wallet_id)
    if wallet_status != AccountStatus.ACTIVE:
        # Frozen or closed: we do not take new money into it; it goes back to the payer.
        reason, flag = f"the wallet is {wallet_status}", DepositFlag.NOT_CREDITABLE
    elif status.currency and status.currency != deposit.currency:
        reason, flag = f"Paid in {status.currency}, wallet holds {deposit.currency}", DepositFlag.NOT_CREDITABLE
    elif amount_paid <= 0:
        reason, flag = "Monnify reports no amount paid", DepositFlag.AMOUNT_MISMATCH
    elif status.payment_status == "OVERPAID" or amount_paid > deposit.amount:
        flag = DepositFlag.OVERPAID if deposit.channel == DepositChannel.CHECKOUT else DepositFlag.AMOUNT_MISMATCH
    elif amount_paid < deposit.amount:
        flag = DepositFlag.AMOUNT_MISMATCH
    if deposit.channel == DepositChannel.BANK_TRANSFER and flag in (DepositFlag.OVERPAID,):
        flag = ""
    reference = journal_reference_for(status.transaction_reference or deposit.transaction_reference)
    if not reason:
        try:
            wallet_credit_from_provider(
                wallet=deposit.wallet, amount=amount_paid, reference=reference,
                narration=f"Deposit {deposit.payment_reference}",
                metadata={"deposit": str(deposit.public_id), "channel": deposit.channel,
                          "transaction_reference": status.transaction_reference}, actor=actor,
            )
        except LedgerError as exc:
            if getattr(exc, "code", "") == "idempotency_conflict":
                pass  # credited before under the same reference: nothing moves again
            else:
                reason, flag = exc.message, DepositFlag.NOT_CREDITABLE
    # Monnify kept its fee when it collected, whether or not the money can be credited.
    _book_collection_fee(deposit, status, actor)
    with transaction.atomic(durable=True):
        locked = _locked(deposit.pk)
        if locked.state not in (DepositState.VERIFYING, DepositState.AWAITING_PAYMENT):
            return locked
        if reason:
            return _transition(locked, "credit_refused", "payment.credit_refused", actor=actor,
                               amount_paid=amount_paid, provider_status=status.payment_status, reason=reason,
                               flag=flag)
        deposit = _transition(locked, "confirm", "payment.confirmed", actor=actor, amount_paid=amount_paid,
                              provider_status=status.payment_status, journal_reference=reference, flag=flag)
        deposit.next_check_at = None
        deposit.save(update_fields=["next_check_at"])
        return deposit


def _book_collection_fee(deposit: Deposit, status, actor) -> None:
    """Monnify keeps its fee from what it settles: amountPaid - settlementAmount, when the status
    reports a settlement amount. Booked once per collection (`monnify:fee:txn:<reference>`)."""
    from wallets.services import provider_fee_book

    if status.settlement_amount_kobo is None:
        return
    fee = status.amount_paid_kobo - status.settlement_amount_kobo
    transaction_reference = status.transaction_reference or deposit.transaction_reference
    if fee < 0 or status.settlement_amount_kobo <= 0:
        # Settling more than was paid, or nothing at all, is not a fee: leave it to reconciliation.
        logger.warning("implausible settlement amount; Monnify fee not booked",
                       extra={"transaction_reference": transaction_reference, "fee": fee})
        return
    provider_fee_book(currency=deposit.currency, fee=fee, reference=f"monnify:fee:txn:{transaction_reference}",
                      narration=f"Monnify fee on deposit {deposit.payment_reference}",
                      metadata={"deposit": str(deposit.public_id), "transaction_reference": transaction_reference},
                      actor=actor)


# --- Settlement and reversal reported by Monnify ------------------------------------------------------


def deposit_settle(*, deposit: Deposit, actor) -> Deposit:
    with transaction.atomic(durable=True):
        locked = _locked(deposit.pk)
        if locked.state == DepositState.CREDITED:
            return _transition(locked, "settle", "payment.settled", actor=actor)
        return locked


# --- Pollers ---------------------------------------------------------------------------------------


def deposits_due_for_check(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        Deposit.objects.filter(state__in=[DepositState.AWAITING_PAYMENT, DepositState.VERIFYING],
                               next_check_at__lte=now)
        .order_by("next_check_at").values_list("pk", flat=True)[:limit]
    )


def deposits_discover_bank_transfers(*, window_seconds: int | None = None) -> int:
    """List recent paid collections at Monnify and record any dedicated-account transfer we have not
    heard of (its webhook was lost), so it is verified and credited within two poll intervals."""
    window = window_seconds or 2 * settings.PAYMENTS_POLL_INTERVAL_SECONDS + 300
    now = timezone.now()
    client = get_client()
    found = 0
    page = 0
    while True:
        result = client.transaction_search(from_ms=int((now.timestamp() - window) * 1000),
                                           to_ms=int(now.timestamp() * 1000) + 60_000, page=page, size=100,
                                           payment_status="PAID")
        for item in result.items:
            if not item.transaction_reference or Deposit.objects.filter(
                    transaction_reference=item.transaction_reference).exists():
                continue
            if Deposit.objects.filter(payment_reference=item.payment_reference).exists():
                continue  # a checkout of ours; its own poll covers it
            status = client.transaction_status(item.transaction_reference)
            if status.product_type != "RESERVED_ACCOUNT":
                continue
            deposit = deposit_bank_transfer_record(
                transaction_reference=status.transaction_reference, account_reference=status.product_reference,
                amount=status.amount_paid_kobo or 1, currency=status.currency or "NGN",
                payer_name=status.payment_sources[0].account_name if status.payment_sources else "",
            )
            if deposit is not None:
                found += 1
                _apply_status(deposit.pk, status, Actor.system("deposits.discover"))
        if result.last or not result.items:
            break
        page += 1
    return found


def deposits_end_of_day() -> dict:
    """Verify everything still pending once more and tell ops what stays pending too long."""
    from .notifications import ops_alert

    pending = list(Deposit.objects.filter(state__in=[DepositState.AWAITING_PAYMENT, DepositState.VERIFYING,
                                                     DepositState.REFUND_PENDING]))
    still = []
    for deposit in pending:
        if deposit.state != DepositState.REFUND_PENDING:
            try:
                deposit = deposit_verify(deposit_id=deposit.pk, actor=Actor.system("deposits.end_of_day"))
            except monnify_errors.MonnifyError:
                pass
        stale = timezone.now() - deposit.created_at > timedelta(seconds=settings.DEPOSIT_STALE_AFTER_SECONDS)
        if deposit.state not in DEPOSIT_FINAL_STATES and deposit.state != DepositState.CREDITED and stale:
            still.append(deposit)
    if still:
        from cozonpay.money import format_naira

        lines = "\n".join(
            f"- {d.payment_reference} {d.state} {format_naira(d.amount)} since {d.created_at:%Y-%m-%d %H:%M}"
            for d in still[:50]
        )
        ops_alert(text=f"{len(still)} deposit(s) still pending at end of day:\n{lines}",
                  dedupe_key=f"deposits-eod:{timezone.now():%Y-%m-%d}")
    return {"checked": len(pending), "still_pending": len(still)}
