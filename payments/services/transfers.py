"""The `transfer.completed` outbox event of wallet-to-wallet transfers.

Why the event is written in the ledger's transaction: `wallets.services.transfer_send` runs the
statement `transfer_completed_outbox` returns (passed as `outbox`) in the durable transaction that
posts the journal and writes the Transfer. So the event exists if and only if the money moved: a
crash between "money moved" and "event written" cannot happen, and no sweeper or second
transaction keyed on the transfer is needed. In production the journal, the Transfer, the event
with its handler runs and the COMMIT travel in one round trip; the Celery doorbell rings on commit.
"""

from __future__ import annotations

from cozonpay.db import Statement
from payments.events.services import outbox_statement

TRANSFER_COMPLETED = "transfer.completed"


def transfer_completed_outbox(transfer, reference: str) -> list[Statement]:
    """The `transfer.completed` event, as statements for the ledger's transaction (passed to
    `wallets.services.transfer_send` as `outbox`)."""
    return [outbox_statement(
        event_type=TRANSFER_COMPLETED,
        aggregate_type=transfer._meta.model_name,
        aggregate_id=str(transfer.public_id),
        reference=reference,
        payload={
            "transfer": str(transfer.public_id),
            "sender": str(transfer.sender_id),
            "recipient": str(transfer.recipient_id),
            "amount": transfer.amount,
            "fee": transfer.fee,
            "currency": transfer.currency,
        },
    )]
