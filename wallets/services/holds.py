"""Holds (two-phase debits): place, then capture (full or partial), release or expire.

A pending hold's amount is counted in its wallet's `held` and against the owner's daily outflow
limit from the moment it is placed; what is not captured is given back to both (the daily
counter only if the hold was placed the same limits-day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record

from .. import locks
from ..exceptions import HoldNotPending, IdempotencyConflict, InvalidAmount, LedgerError, WalletUnavailable
from ..models import AccountKind, AccountStatus, Hold, HoldStatus, Journal, JournalKind, LedgerAccount
from ..policy import limits_day
from ._engine import AccountChange, PostingSpec, apply_change, check_amount, post

_ANY_STATUS = (AccountStatus.ACTIVE, AccountStatus.FROZEN, AccountStatus.CLOSED)


def hold_place(*, account: LedgerAccount, amount: int, reference: str, expires_at: dt.datetime,
               actor: Any) -> Hold:
    """Reserve `amount` kobo of an active wallet's available funds. Idempotent by reference."""
    check_amount(amount)
    if account.kind != AccountKind.CUSTOMER_WALLET:
        raise WalletUnavailable("Holds are placed on customer wallets only.")
    with transaction.atomic(durable=True):
        rows = locks.execute(
            """INSERT INTO wallets_hold (public_id, account_id, amount, currency, reference, status, expires_at,
                                         captured_amount, created_at, updated_at)
               VALUES (gen_random_uuid(), %s, %s, %s, %s, 'pending', %s, 0, now(), now())
               ON CONFLICT (reference) DO NOTHING RETURNING id""",
            (account.id, amount, account.currency, reference, expires_at),
        )
        if not rows:
            existing = Hold.objects.get(reference=reference)
            if existing.account_id != account.id or existing.amount != amount:
                raise IdempotencyConflict(fields={"reference": [reference]})
            return existing
        apply_change(AccountChange(account=account, held_delta=amount, outflow=amount,
                                   statuses=(AccountStatus.ACTIVE,), check_balance_max=False))
        hold = Hold.objects.get(pk=rows[0][0])
        audit_record(action="ledger.hold.placed", actor=actor, subject=hold, references=[reference],
                     payload={"account": str(account.public_id), "amount": amount,
                              "expires_at": expires_at.isoformat()})
    return hold


def hold_capture(
    *,
    hold: Hold,
    reference: str,
    actor: Any,
    amount: int | None = None,
    destination: LedgerAccount | None = None,
    credits: Sequence[PostingSpec] | None = None,
    kind: str = JournalKind.HOLD_CAPTURE,
    narration: str = "",
    metadata: dict | None = None,
) -> Journal:
    """Capture a pending hold: one journal debits the wallet by the captured amount and credits
    `credits` (e.g. withdrawals in flight + fees revenue) or `destination` (`amount`, default the
    whole hold). The uncaptured rest is released. Works on a frozen wallet: the funds were
    reserved before the freeze. Repeating with the same reference returns the same journal."""
    if credits is None:
        if destination is None:
            raise LedgerError("Give the destination or the credits of the capture.", code="invalid_capture")
        capture = check_amount(amount if amount is not None else hold.amount)
        credits = [PostingSpec(destination, capture)]
    else:
        credits = list(credits)
        for spec in credits:
            check_amount(spec.amount)
        capture = sum(spec.amount for spec in credits)
        if amount is not None and amount != capture:
            raise InvalidAmount("The credits must add up to the captured amount.")
    if capture > hold.amount:
        raise InvalidAmount("A capture cannot exceed the amount held.", fields={"amount": [str(hold.amount)]})
    with transaction.atomic(durable=True):
        hold = locks.hold_lock(hold_id=hold.id)
        if hold.status == HoldStatus.CAPTURED and hold.journal_id is not None:
            journal = Journal.objects.get(pk=hold.journal_id)
            if journal.reference == reference:
                return journal
        if hold.status != HoldStatus.PENDING:
            raise HoldNotPending(f"The hold is {hold.status}.")
        wallet = hold.account
        uncaptured = hold.amount - capture
        same_day = limits_day(hold.created_at) == limits_day()
        journal = post(
            reference=reference, kind=kind, specs=[PostingSpec(wallet, -capture), *credits],
            narration=narration, metadata={**(metadata or {}), "hold": hold.reference}, actor=actor,
            outflow_for={wallet.id: -uncaptured if same_day else 0}, held_release={wallet.id: hold.amount},
            allow_frozen_debit=True, audit_action="ledger.hold.captured",
        )
        if journal.replayed:
            raise IdempotencyConflict("This reference was already used for another journal.",
                                      fields={"reference": [reference]})
        Hold.objects.filter(pk=hold.pk).update(status=HoldStatus.CAPTURED, captured_amount=capture,
                                               journal=journal, updated_at=timezone.now())
    return journal


def _finish(*, hold: Hold, to_status: str, actor: Any, reason: str, now: dt.datetime | None = None) -> Hold:
    with transaction.atomic(durable=True):
        hold = locks.hold_lock(hold_id=hold.id)
        if hold.status == to_status:
            return hold
        if hold.status != HoldStatus.PENDING:
            raise HoldNotPending(f"The hold is {hold.status}.")
        now = now or timezone.now()
        if to_status == HoldStatus.EXPIRED and hold.expires_at > now:
            raise LedgerError("The hold has not expired yet.", code="hold_not_due")
        same_day = limits_day(hold.created_at) == limits_day()
        apply_change(AccountChange(account=hold.account, held_delta=-hold.amount,
                                   outflow=-hold.amount if same_day else 0, statuses=_ANY_STATUS,
                                   check_balance_max=False))
        Hold.objects.filter(pk=hold.pk).update(status=to_status, updated_at=now)
        hold.status, hold.updated_at = to_status, now
        audit_record(action=f"ledger.hold.{to_status}", actor=actor, subject=hold, references=[hold.reference],
                     payload={"amount": hold.amount, "reason": reason})
    return hold


def hold_release(*, hold: Hold, actor: Any, reason: str = "") -> Hold:
    """Give a pending hold's funds back to the wallet. Idempotent on a released hold."""
    return _finish(hold=hold, to_status=HoldStatus.RELEASED, actor=actor, reason=reason)


def hold_expire(*, hold: Hold, actor: Any = None, now: dt.datetime | None = None) -> Hold:
    """Expire a pending hold whose `expires_at` has passed (its funds go back to the wallet)."""
    return _finish(hold=hold, to_status=HoldStatus.EXPIRED, actor=actor or Actor.system("wallets.hold_expiry"),
                   reason="expired", now=now)


def holds_expire_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Expire up to `limit` due holds, each in its own transaction (for a beat schedule)."""
    now = now or timezone.now()
    due = list(Hold.objects.filter(status=HoldStatus.PENDING, expires_at__lte=now)
               .order_by("expires_at").values_list("id", flat=True)[:limit])
    expired = 0
    for hold_id in due:
        try:
            hold_expire(hold=Hold(id=hold_id), now=now)
            expired += 1
        except HoldNotPending:
            continue
    return expired
