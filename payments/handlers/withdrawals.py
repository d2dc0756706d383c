"""Withdrawals: Monnify's disbursement webhooks, and customer notifications from the outbox.

Webhooks are rumours: each one only makes us ask Monnify (``disbursement_summary`` with our
reference) and apply what the summary says, through the same service as the poller. So any order
and any number of deliveries converge on one state, never backwards: SUCCESS then REVERSED gives
one debit and one credit back; REVERSED first finds the summary REVERSED and does both in order.
"""

from __future__ import annotations

from audit.services import Actor
from cozonpay.money import format_naira as naira
from webhooks.registry import IGNORED, PROCESSED, HandlerResult, webhook_handler

from ..events.registry import event_handler
from ..models import Withdrawal
from ..services.notifications import notify
from ..services.withdrawals import withdrawal_sync


def _on_disbursement(event, data: dict) -> HandlerResult:
    reference = str(data.get("reference") or "")
    withdrawal = Withdrawal.objects.filter(reference=reference).first() if reference else None
    if withdrawal is None:
        # Our rows are committed before Monnify ever hears of the reference, so this is not ours.
        return HandlerResult(IGNORED, f"no withdrawal with reference {reference!r}")
    before = withdrawal.state
    after = withdrawal_sync(withdrawal_id=withdrawal.pk, actor=Actor.provider("monnify"))  # raises: retried
    return HandlerResult(PROCESSED, f"webhook said {data.get('status')}; verified with the summary; "
                                    f"{before} -> {after.state}")


webhook_handler("SUCCESSFUL_DISBURSEMENT")(_on_disbursement)
webhook_handler("FAILED_DISBURSEMENT")(_on_disbursement)
webhook_handler("REVERSED_DISBURSEMENT")(_on_disbursement)


_MESSAGES = {
    "payment.initiated": ("withdrawal.accepted", "Withdrawal on its way",
                          "We are sending {amount} to {account}. Fee: {fee}."),
    "payment.confirmed": ("withdrawal.succeeded", "Withdrawal successful",
                          "{amount} has been sent to {account}."),
    "payment.failed": ("withdrawal.failed", "Withdrawal failed",
                       "Your withdrawal of {amount} to {account} failed and the funds are back in your wallet. "
                       "Reason: {reason}"),
    "payment.reversed": ("withdrawal.reversed", "Withdrawal reversed",
                         "The bank returned your withdrawal of {amount} to {account}. {total} has been credited "
                         "back to your wallet."),
}


def notify_withdrawal_customer(event) -> None:
    """Tell the customer about a step they can see. Idempotent: the dedupe key is the event's id."""
    if event.aggregate_type != "withdrawal" or event.event_type not in _MESSAGES:
        return
    withdrawal = Withdrawal.objects.select_related("user").get(public_id=event.aggregate_id)
    kind, title, template = _MESSAGES[event.event_type]
    body = template.format(
        amount=naira(withdrawal.amount), fee=naira(withdrawal.fee), total=naira(withdrawal.total),
        account=f"{withdrawal.account_name} ({withdrawal.bank_name or withdrawal.bank_code} "
                f"****{withdrawal.account_number[-4:]})",
        reason=withdrawal.failure_reason or "declined by the bank",
    )
    notify(user=withdrawal.user, kind=kind, title=title, body=body,
           dedupe_key=f"{event.public_id}:{kind}:{withdrawal.user_id}")


for _event_type in _MESSAGES:
    event_handler(_event_type, name="withdrawals.notify_customer")(notify_withdrawal_customer)
