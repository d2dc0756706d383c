"""Refunds: start one when a deposit cannot be credited, Monnify's refund webhooks (verified with
``refund_get``), and customer notifications."""

from __future__ import annotations

from audit.services import Actor
from cozonpay.money import format_naira as naira
from webhooks.registry import IGNORED, PROCESSED, HandlerResult, webhook_handler

from ..events.registry import event_handler
from ..models import Deposit, DepositState, Refund, RefundOrigin
from ..services.notifications import notify, ops_alert
from ..services.refunds import refund_request_for_deposit, refund_sync


@event_handler("payment.credit_refused", name="refunds.request_refund")
def request_refund_for_refused_credit(event) -> None:
    """A verified payment could not be credited: refund it (one automatic refund per deposit)."""
    if event.aggregate_type != "deposit":
        return
    deposit = Deposit.objects.get(public_id=event.aggregate_id)
    if deposit.state != DepositState.REFUND_PENDING:
        return
    refund_request_for_deposit(deposit=deposit, actor=Actor.system("refunds"), origin=RefundOrigin.AUTO,
                               reason=(deposit.failure_reason or "Payment could not be credited")[:64])


def _on_refund(event, data: dict) -> HandlerResult:
    reference = str(data.get("refundReference") or "")
    refund = Refund.objects.filter(reference=reference).first() if reference else None
    if refund is None:
        return HandlerResult(IGNORED, f"no refund with reference {reference!r}")
    before = refund.state
    after = refund_sync(refund_id=refund.pk, actor=Actor.provider("monnify"))  # raises: retried
    return HandlerResult(PROCESSED, f"webhook said {data.get('refundStatus')}; verified with refund_get; "
                                    f"{before} -> {after.state}")


webhook_handler("SUCCESSFUL_REFUND")(_on_refund)
webhook_handler("FAILED_REFUND")(_on_refund)


_MESSAGES = {
    "payment.refund_requested": ("refund.requested", "Refund on its way",
                                 "We could not add your payment of {amount} to your wallet, so we are refunding it "
                                 "to the account it came from."),
    "payment.refund_completed": ("refund.completed", "Refund completed",
                                 "{amount} has been refunded to the account your payment came from."),
    "payment.refund_failed": ("refund.failed", "Refund delayed",
                              "Your refund of {amount} could not be completed yet. Our team has been told and "
                              "will contact you."),
}


def notify_refund_customer(event) -> None:
    if event.aggregate_type != "refund" or event.event_type not in _MESSAGES:
        return
    refund = Refund.objects.select_related("user").get(public_id=event.aggregate_id)
    if event.event_type == "payment.refund_requested" and refund.origin != RefundOrigin.AUTO:
        return  # staff refunds: the customer hears when it completes
    kind, title, template = _MESSAGES[event.event_type]
    notify(user=refund.user, kind=kind, title=title, body=template.format(amount=naira(refund.amount)),
           dedupe_key=f"{event.public_id}:{kind}:{refund.user_id}")
    if event.event_type == "payment.refund_failed":
        ops_alert(text=f"Refund {refund.reference} of {naira(refund.amount)} failed: {refund.failure_reason}",
                  dedupe_key=f"refund-failed:{refund.reference}")


for _event_type in _MESSAGES:
    event_handler(_event_type, name="refunds.notify_customer")(notify_refund_customer)
