"""Journals: the generic N-posting post, wallet-to-wallet transfers, provider credits, reversals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
    on_recorded: Callable[[Transfer], None] | None = None,
) -> Transfer:
    """`transfer`, plus the customer-facing `Transfer` row, written in the journal's own durable
    transaction: the Transfer exists if and only if the journal does.

    `on_recorded(transfer)` runs inside that transaction, only when the transfer is new, before
    any wallet row is locked: the caller emits its outbox event there, so the event too exists iff
    the money moved (a crash can lose neither). Idempotent by `reference`: a repeat returns the
    first Transfer (`.replayed` is True) and neither moves money nor calls `on_recorded`."""
    specs = _transfer_specs(source=source, destination=destination, amount=amount, fee=fee)
    recorded: list[Transfer] = []

    def record(journal: Journal) -> None:
        row = Transfer.objects.create(
            journal=journal, source=source, destination=destination, sender_id=source.owner_id,
            recipient_id=destination.owner_id, amount=amount, fee=fee, currency=source.currency,
            narration=narration, created_at=journal.created_at,
        )
        row.journal = journal
        if on_recorded is not None:
            on_recorded(row)
        recorded.append(row)

    journal = post_durably(reference=reference, kind=JournalKind.TRANSFER, specs=specs, narration=narration,
                           metadata=metadata, actor=actor, on_posted=record)
    if recorded and not journal.replayed:
        row = recorded[0]
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
