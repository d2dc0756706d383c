"""The `transfer.completed` outbox event of wallet-to-wallet transfers.

Why the event is emitted inside the ledger's transaction: `wallets.services.transfer_send` calls
`transfer_completed_emit` (passed as `on_recorded`) inside the durable transaction that posts the
journal and writes the Transfer, right after the journal insert and before any wallet row is
locked. So the event exists if and only if the money moved: a crash between "money moved" and
"event written" cannot happen, and no sweeper or second transaction keyed on the transfer is
needed. The cost is two small inserts (event and handler runs) in a transaction that holds no
wallet lock yet; the Celery doorbell rings on commit.
"""

from __future__ import annotations

from payments.events.services import outbox_emit

TRANSFER_COMPLETED = "transfer.completed"


def transfer_completed_emit(transfer) -> None:
    outbox_emit(
        event_type=TRANSFER_COMPLETED,
        aggregate=transfer,
        reference=transfer.journal.reference,
        payload={
            "transfer": str(transfer.public_id),
            "sender": str(transfer.sender_id),
            "recipient": str(transfer.recipient_id),
            "amount": transfer.amount,
            "fee": transfer.fee,
            "currency": transfer.currency,
        },
    )
