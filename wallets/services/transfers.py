"""Customer transfers: the checks a person's request needs before the ledger moves money.

    transfer_create(user=..., source_public_id=..., recipient_identifier=..., amount=...,
                    narration=..., pin=..., reference="transfer:<idempotency record id>")

Order of checks, each refusal changing nothing (a wrong PIN only counts the attempt):
the source wallet must be the user's (else 404, like any other user's object), then the PIN
(`pin_verify`: invalid_pin / pin_not_set / pin_locked, checked before anything reveals whether a
recipient exists), then the recipient (recipient_not_found, self_transfer, currency_mismatch: the
recipient has no wallet in the source's currency), then the fee, then the ledger
(`transfer_send`: insufficient_funds, limit_exceeded, wallet_unavailable, in its own durable
transaction that also writes the Transfer row and the caller's `outbox` statements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from audit.services import Actor
from cozonpay.db import Statement
from cozonpay.exceptions import NotFound
from cozonpay.users.selectors import user_find_recipient
from cozonpay.users.services import pin_verify

from ..exceptions import CurrencyMismatch, RecipientNotFound, SelfTransfer
from ..models import Transfer
from ..policy import fee_for
from ..selectors import wallet_of_recipient, wallet_with_owner
from .journals import transfer_send


def transfer_create(
    *,
    user,
    source_public_id,
    recipient_identifier: str,
    amount: int,
    narration: str = "",
    pin: str,
    reference: str,
    outbox: Callable[[Transfer, str], Sequence[Statement]] | None = None,
) -> Transfer:
    # The wallet to debit, with its owner's PIN state read in the same query.
    source = wallet_with_owner(owner_id=user.pk, public_id=source_public_id)
    if source is None:
        raise NotFound("Wallet not found.", fields={"source_wallet": ["No wallet of yours has this id."]})
    pin_verify(user=source.owner, pin=pin, fresh=True)
    # The recipient's wallet in the source's currency, with the recipient, in one query; when there
    # is none, a second query tells "no such customer" from "no wallet in this currency".
    destination = wallet_of_recipient(identifier=recipient_identifier, currency=source.currency)
    if destination is None:
        recipient = user_find_recipient(identifier=recipient_identifier)
        if recipient is None:
            raise RecipientNotFound(fields={"recipient": ["No customer has this email or phone number."]})
        if recipient.pk == user.pk:
            raise SelfTransfer("You cannot send money to yourself.")
        raise CurrencyMismatch(f"The recipient has no {source.currency} wallet.")
    recipient = destination.owner
    if recipient.pk == user.pk:
        raise SelfTransfer("You cannot send money to yourself.")
    fee = fee_for("p2p", amount)
    transfer = transfer_send(
        source=source, destination=destination, amount=amount, fee=fee, reference=reference,
        narration=narration, metadata={"channel": "api"}, actor=Actor.of_user(user), outbox=outbox,
    )
    if (transfer.sender_id, transfer.recipient_id) == (user.pk, recipient.pk):  # spare the caller two reads
        transfer.sender, transfer.recipient = user, recipient
    if (transfer.source_id, transfer.destination_id) == (source.pk, destination.pk):
        transfer.source, transfer.destination = source, destination
    return transfer
