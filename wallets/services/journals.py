"""Journals: the generic N-posting post, wallet-to-wallet transfers, provider credits, reversals."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from cozonpay.db import Statement

from ..exceptions import CurrencyMismatch, IdempotencyConflict, LedgerError, SelfTransfer, WalletUnavailable
from ..models import AccountKind, Journal, JournalKind, LedgerAccount, SystemCode, Transfer
from ._engine import PostingSpec, check_amount, post_durably
from .accounts import system_account


def journal_post(
    *,
    reference: str,
    kind: str,
    postings: Sequence[PostingSpec],
    narration: str = "",
    metadata: dict | None = None,
    actor: Any,
    check_limits: bool = True,
) -> Journal:
    """Post a balanced journal of two or more postings, idempotently by `reference`.

    Posting the same reference again returns the first journal and moves nothing (concurrent
    duplicates included); the same reference with different content raises IdempotencyConflict.
    Wallet debits need an active wallet and count against the owner's single/daily KYC limits,
    wallet credits need a wallet that is not closed and respect the maximum balance (unless
    `check_limits` is False: corrections by staff). Refusals change nothing."""
    return post_durably(reference=reference, kind=kind, specs=list(postings), narration=narration,
                        metadata=metadata, actor=actor, check_limits=check_limits)


def _transfer_specs(*, source: LedgerAccount, destination: LedgerAccount, amount: int, fee: int) -> list[PostingSpec]:
    check_amount(amount)
    check_amount(fee, name="fee", allow_zero=True)
    if source.kind != AccountKind.CUSTOMER_WALLET or destination.kind != AccountKind.CUSTOMER_WALLET:
        raise WalletUnavailable("Transfers move money between customer wallets only.")
    if source.id == destination.id:
        raise SelfTransfer()
    if source.currency != destination.currency:
        raise CurrencyMismatch()
    specs = [PostingSpec(source, -amount), PostingSpec(destination, amount)]
    if fee:
        specs += [PostingSpec(source, -fee), PostingSpec(system_account(SystemCode.FEES_REVENUE, source.currency), fee)]
    return specs


def transfer(
    *,
    source: LedgerAccount,
    destination: LedgerAccount,
    amount: int,
    fee: int = 0,
    reference: str,
    narration: str = "",
    metadata: dict | None = None,
    actor: Any,
) -> Journal:
    """Move `amount` kobo from one customer wallet to another, and `fee` kobo from the source to
    fees revenue, in one journal. The source's limits count amount + fee."""
    specs = _transfer_specs(source=source, destination=destination, amount=amount, fee=fee)
    return post_durably(reference=reference, kind=JournalKind.TRANSFER, specs=specs, narration=narration,
                        metadata=metadata, actor=actor)


# The customer-facing Transfer row, written in the journal's transaction (the journal is the one
# this session inserted last).
_TRANSFER_INSERT = """
INSERT INTO wallets_transfer (public_id, journal_id, source_id, destination_id, sender_id, recipient_id, amount, fee,
                              currency, narration, created_at)
VALUES (%s, currval('wallets_journal_id_seq'), %s, %s, %s, %s, %s, %s, %s, %s, now())
RETURNING id, journal_id, created_at
"""


def transfer_send(
    *,
    source: LedgerAccount,
    destination: LedgerAccount,
    amount: int,
    fee: int = 0,
    reference: str,
    narration: str = "",
    metadata: dict | None = None,
    actor: Any,
    outbox: Callable[[Transfer, str], Sequence[Statement]] | None = None,
) -> Transfer:
    """`transfer`, plus the customer-facing `Transfer` row, written in the journal's own durable
    transaction: the Transfer exists if and only if the journal does.

    `outbox(transfer, reference)` returns statements (the caller's outbox event) to run in that transaction
    too, so the event also exists iff the money moved (a crash can lose neither). They run only
    when the transfer is new; in production the journal, the Transfer, those statements and the
    COMMIT travel in one round trip. Idempotent by `reference`: a repeat returns the first
    Transfer (`.replayed` is True), moves no money and runs none of the statements."""
    specs = _transfer_specs(source=source, destination=destination, amount=amount, fee=fee)
    row = Transfer(public_id=uuid.uuid4(), source=source, destination=destination, sender_id=source.owner_id,
                   recipient_id=destination.owner_id, amount=amount, fee=fee, currency=source.currency,
                   narration=narration)

    def recorded(rows: list[tuple]) -> None:
        row.id, row.journal_id, row.created_at = rows[0]
        row._state.adding, row._state.db = False, connection.alias

    statements = [Statement(_TRANSFER_INSERT, (row.public_id, source.id, destination.id, row.sender_id,
                                               row.recipient_id, amount, fee, row.currency, narration),
                            on_rows=recorded)]
    if outbox is not None:
        statements += outbox(row, reference)
    journal = post_durably(reference=reference, kind=JournalKind.TRANSFER, specs=specs, narration=narration,
                           metadata=metadata, actor=actor, with_journal=statements)
    if not journal.replayed:
        row.journal = journal
        row.replayed = False
        return row
    row = Transfer.objects.select_related("journal").filter(journal_id=journal.id).first()
    if row is None:  # the reference belongs to a transfer journal posted without a Transfer row
        raise IdempotencyConflict(fields={"reference": [reference]})
    row.replayed = True
    return row


def wallet_credit_from_provider(
    *,
    wallet: LedgerAccount,
    amount: int,
    reference: str,
    narration: str = "",
    metadata: dict | None = None,
    actor: Any,
) -> Journal:
    """Credit a verified deposit: Monnify clearing -> wallet. The wallet's maximum balance applies
    (LimitExceeded, nothing changed: the caller refunds); closed wallets refuse it."""
    check_amount(amount)
    if wallet.kind != AccountKind.CUSTOMER_WALLET:
        raise WalletUnavailable("Deposits credit customer wallets only.")
    clearing = system_account(SystemCode.MONNIFY_CLEARING, wallet.currency)
    return post_durably(reference=reference, kind=JournalKind.DEPOSIT,
                        specs=[PostingSpec(clearing, -amount), PostingSpec(wallet, amount)],
                        narration=narration, metadata=metadata, actor=actor)


def provider_fee_book(*, currency: str, fee: int, reference: str, narration: str = "",
                      metadata: dict | None = None, actor: Any) -> Journal | None:
    """Book what Monnify kept from a collection or charged for a transfer: Monnify clearing +fee (it
    holds that much less of ours) and provider fees -fee (an expense). Idempotent by `reference`;
    nothing for a zero fee. Both are system accounts: no wallet is locked or touched."""
    if fee == 0:
        return None
    check_amount(fee, name="fee")
    return post_durably(reference=reference, kind=JournalKind.PROVIDER_FEE, specs=[
        PostingSpec(system_account(SystemCode.MONNIFY_CLEARING, currency), fee),
        PostingSpec(system_account(SystemCode.PROVIDER_FEES, currency), -fee),
    ], narration=narration, metadata=metadata, actor=actor, check_limits=False)


def journal_reverse(*, journal: Journal, actor: Any, narration: str = "", reference: str | None = None) -> Journal:
    """Post the mirror of `journal` (every posting negated), at most once per journal
    (`Journal.reverses` is unique). Reversals are corrections: they skip KYC limits and may debit
    a frozen wallet, but never overdraw a wallet and never credit a closed one. Repeating the
    call with the same reference returns the same reversal; another reference raises
    AlreadyReversed."""
    reference = reference or f"reversal:{journal.reference}"
    postings = list(journal.postings.select_related("account").order_by("id"))
    if not postings:
        raise LedgerError("The journal has no postings to reverse.")
    specs = [PostingSpec(p.account, -p.amount) for p in postings]
    return post_durably(reference=reference, kind=JournalKind.REVERSAL, specs=specs,
                        narration=narration or f"Reversal of {journal.reference}",
                        metadata={"reverses": journal.reference}, actor=actor, reverses_id=journal.id,
                        check_limits=False, allow_frozen_debit=True, audit_action="ledger.journal.reversed")
