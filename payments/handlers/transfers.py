"""Handlers of `transfer.completed`: an in-app (and email) notification for each side.

Idempotent: each notification's dedupe key is `transfer:<transfer public id>:<sent|received>`, so a
handler run twice (crash, retry, staff retry of a dead letter) finds its notifications there."""

from __future__ import annotations

from cozonpay.money import format_naira
from wallets.models import Transfer

from ..events.registry import event_handler
from ..services.notifications import notify
from ..services.transfers import TRANSFER_COMPLETED


@event_handler(TRANSFER_COMPLETED, name="notify_parties")
def transfer_notify_parties(event) -> None:
    transfer = Transfer.objects.select_related("sender", "recipient", "journal").get(
        public_id=event.payload["transfer"]
    )
    amount = format_naira(transfer.amount)
    note = f" ({transfer.narration})" if transfer.narration else ""
    notify(
        user=transfer.sender, kind="transfer.sent", title="Transfer sent",
        body=f"You sent {amount} to {transfer.recipient.full_name}{note}. "
             f"Fee: {format_naira(transfer.fee)}. Reference: {transfer.journal.reference}.",
        dedupe_key=f"transfer:{transfer.public_id}:sent",
    )
    notify(
        user=transfer.recipient, kind="transfer.received", title="Money received",
        body=f"{transfer.sender.full_name} sent you {amount}{note}. Reference: {transfer.journal.reference}.",
        dedupe_key=f"transfer:{transfer.public_id}:received",
    )
