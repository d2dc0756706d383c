"""Deposit handlers: Monnify webhooks in, customer notifications out.

Webhook handlers never credit anything themselves: they find or record the deposit and ask
`deposit_verify`, which asks Monnify. They are idempotent and tolerate any order: a webhook about
a deposit that is already final changes nothing.
"""

from __future__ import annotations

from django.db.models import Q

from audit.services import Actor
from cozonpay.money import format_naira
from webhooks.registry import IGNORED, PARKED, PROCESSED, HandlerResult, webhook_handler

from ..clients.monnify.parsing import to_kobo
from ..events.registry import event_handler
from ..models import Deposit, DepositChannel, DepositState
from ..services import deposits as deposit_services
from ..services.notifications import notify, ops_alert

PROVIDER = Actor.provider("monnify")


def _amount(value) -> int:
    try:
        return to_kobo(value)
    except Exception:
        return 0


def _deposit_named(transaction_reference: str, payment_reference: str) -> Deposit | None:
    """The deposit a webhook names, by Monnify's transactionReference first, else by our
    paymentReference (each unique), in one query."""
    match = Q()
    if transaction_reference:
        match |= Q(transaction_reference=transaction_reference)
    if payment_reference:
        match |= Q(payment_reference=payment_reference)
    if not match:
        return None
    found = list(Deposit.objects.filter(match)[:2])
    by_transaction = [d for d in found if transaction_reference and d.transaction_reference == transaction_reference]
    return (by_transaction or found or [None])[0]


@webhook_handler("SUCCESSFUL_TRANSACTION")
def on_successful_transaction(event, data: dict) -> HandlerResult:
    transaction_reference = str(data.get("transactionReference") or "")
    payment_reference = str(data.get("paymentReference") or "")
    product = data.get("product") if isinstance(data.get("product"), dict) else {}
    deposit = _deposit_named(transaction_reference, payment_reference)
    if deposit is None and product.get("type") == "RESERVED_ACCOUNT":
        sources = data.get("paymentSourceInformation")
        first_source = sources[0] if isinstance(sources, list) and sources else sources
        payer = first_source.get("accountName", "") if isinstance(first_source, dict) else ""
        deposit = deposit_services.deposit_bank_transfer_record(
            transaction_reference=transaction_reference, account_reference=str(product.get("reference") or ""),
            amount=_amount(data.get("amountPaid")) or 1, currency=str(data.get("currency") or "NGN"),
            payer_name=str(payer or ""),
        )
        if deposit is None:
            # Once a day per account reference: a misrouted contract would otherwise page ops per transfer.
            # Every such webhook stays in the inbox (ignored, with this outcome), searchable by reference.
            account_reference = str(product.get("reference") or "")
            ops_alert(text=f"Monnify reports transfers into unknown account reference {account_reference!r} "
                           f"(first today: {transaction_reference}; the others are in the webhook inbox, ignored).",
                      dedupe_key=f"unknown-account:{account_reference}")
            return HandlerResult(IGNORED, "dedicated account reference is not one of our wallets")
    if deposit is None:
        # A checkout we have no record of. It cannot be ours (we record before initializing), so
        # there is nothing to credit; ops should know.
        ops_alert(text=f"Monnify reports a payment we did not initiate: {payment_reference} / {transaction_reference}",
                  dedupe_key=f"unknown-payment:{transaction_reference}")
        return HandlerResult(IGNORED, "payment reference is not ours")
    deposit = deposit_services.deposit_verify(deposit_id=deposit.pk, actor=PROVIDER)
    return HandlerResult(PROCESSED, f"deposit {deposit.payment_reference} is {deposit.state}")


@webhook_handler("SETTLEMENT")
def on_settlement(event, data: dict) -> HandlerResult:
    """Marks credited deposits settled. A settlement that names a payment we have not credited yet
    is parked until the credit exists (the prerequisite), never applied out of order."""
    transactions = data.get("transactions") if isinstance(data.get("transactions"), list) else []
    waiting = []
    settled = 0
    for item in transactions:
        if not isinstance(item, dict):
            continue
        reference = str(item.get("transactionReference") or "")
        deposit = Deposit.objects.filter(transaction_reference=reference).first()
        if deposit is None or deposit.state in (DepositState.AWAITING_PAYMENT, DepositState.VERIFYING):
            waiting.append(reference)
            continue
        if deposit.state == DepositState.CREDITED:
            deposit_services.deposit_settle(deposit=deposit, actor=PROVIDER)
            settled += 1
    if waiting:
        return HandlerResult(PARKED, f"waiting for {len(waiting)} payment(s): {', '.join(waiting[:5])}")
    return HandlerResult(PROCESSED, f"{settled} deposit(s) settled")


@webhook_handler("REJECTED_PAYMENT")
def on_rejected_payment(event, data: dict) -> HandlerResult:
    info = data.get("paymentRejectionInformation") if isinstance(data.get("paymentRejectionInformation"), dict) else {}
    ops_alert(text=f"Monnify rejected a payment ({info.get('rejectionReason', 'unknown reason')}) for "
                   f"{data.get('paymentReference')}", dedupe_key=f"rejected:{data.get('transactionReference')}")
    return HandlerResult(PROCESSED, f"rejected: {info.get('rejectionReason', '')}")


# --- Customer notifications ---------------------------------------------------------------------


def _deposit(event) -> Deposit | None:
    return Deposit.objects.select_related("user").filter(public_id=event.aggregate_id).first()


@event_handler("payment.confirmed", name="notify_deposit_credited")
def notify_deposit_credited(event) -> None:
    deposit = _deposit(event)
    if deposit is None or event.aggregate_type != "deposit":
        return
    notify(user=deposit.user, kind="deposit.credited", title="Wallet funded",
           body=f"{format_naira(deposit.amount_credited)} has been added to your wallet "
                f"(reference {deposit.payment_reference}).",
           dedupe_key=f"{event.public_id}:deposit.credited")


@event_handler("payment.failed", name="notify_deposit_failed")
@event_handler("payment.expired", name="notify_deposit_failed")
def notify_deposit_failed(event) -> None:
    deposit = _deposit(event)
    if deposit is None or event.aggregate_type != "deposit" or deposit.channel != DepositChannel.CHECKOUT:
        return
    what = "expired" if deposit.state == DepositState.EXPIRED else "did not go through"
    notify(user=deposit.user, kind=f"deposit.{deposit.state}", title=f"Top-up {what}",
           body=f"Your top-up of {format_naira(deposit.amount)} {what}. No money was taken from you by CozonPay.",
           dedupe_key=f"{event.public_id}:deposit.{deposit.state}")


@event_handler("payment.credit_refused", name="alert_ops_deposit_refused")
def alert_ops_deposit_refused(event) -> None:
    """The customer hears from the refund flow (refund requested / completed); ops hear it here."""
    deposit = _deposit(event)
    if deposit is None or event.aggregate_type != "deposit":
        return
    ops_alert(text=f"Deposit {deposit.payment_reference} could not be credited: {deposit.failure_reason} "
                   f"(flag {deposit.flag or 'none'}); refund started.",
              dedupe_key=f"deposit-refused:{deposit.payment_reference}")
