"""The posting engine every ledger service goes through. Not an entry point: callers own the
transaction (services wrap it in `transaction.atomic(durable=True)`).

Order of work inside the transaction, chosen so that the account row locks are held as briefly
as possible (from the first wallet UPDATE to COMMIT):

1. insert the journal, `ON CONFLICT DO NOTHING`: a reference seen before (even one being
   committed by a concurrent transaction, which this insert waits for) returns the first journal
   after comparing its content, and moves no money;
2. write the audit record;
3. insert the postings of derived accounts (system accounts: no lock, no cached balance);
4. for each cached account in ascending id order: one conditional UPDATE ... RETURNING that also
   inserts its postings with `balance_after` (wallets.locks.ACCOUNT_CHANGE_WITH_POSTINGS).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction

from audit.services import audit_record

from .. import locks
from ..exceptions import (
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    LimitExceeded,
    UnbalancedJournal,
    WalletUnavailable,
)
from ..models import AccountStatus, Journal, LedgerAccount
from ..policy import UNLIMITED, limit_arrays, limits_day, limits_for_tier


@dataclass(frozen=True)
class PostingSpec:
    """One line of a journal: `amount` kobo (signed, non-zero; positive credits the account)."""

    account: LedgerAccount
    amount: int


@dataclass
class AccountChange:
    """What one journal (or hold operation) does to one cached account."""

    account: LedgerAccount
    amounts: list[int] = field(default_factory=list)
    held_delta: int = 0
    outflow: int = 0  # counted against the KYC single and daily limits (negative gives back)
    statuses: tuple[str, ...] = ()
    check_balance_max: bool = True

    @property
    def delta(self) -> int:
        return sum(self.amounts)


def check_amount(value: Any, *, name: str = "amount", allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount(fields={name: ["Must be a positive whole number of kobo."]})
    return value


def _debit_statuses(allow_frozen: bool) -> tuple[str, ...]:
    return (AccountStatus.ACTIVE, AccountStatus.FROZEN) if allow_frozen else (AccountStatus.ACTIVE,)


CREDIT_STATUSES = (AccountStatus.ACTIVE, AccountStatus.FROZEN)


def _change_statement(change: AccountChange, journal_id: int | None) -> tuple[str, dict[str, Any]]:
    account = change.account
    single, daily, balmax = limit_arrays()
    statuses = change.statuses or (_debit_statuses(False) if change.delta < 0 else CREDIT_STATUSES)
    change.statuses = tuple(statuses)
    params: dict[str, Any] = {
        "account_id": account.id, "delta": change.delta, "held_delta": change.held_delta,
        "outflow": change.outflow, "day": limits_day(), "statuses": list(statuses),
        "check_balance_max": change.check_balance_max, "single": single, "daily": daily, "balmax": balmax,
        "unlimited": UNLIMITED,
    }
    if not change.amounts:
        return locks.ACCOUNT_CHANGE, params
    running, total = [], 0
    for amount in change.amounts:
        total += amount
        running.append(total)
    params.update(journal_id=journal_id, currency=account.currency, amounts=change.amounts, runnings=running)
    return locks.ACCOUNT_CHANGE_WITH_POSTINGS, params


class RefusedInPipeline(Exception):
    """A conditional UPDATE sent together with the COMMIT was refused; the transaction is rolled
    back and `explain_refusal` says why."""

    def __init__(self, changes: Sequence[AccountChange]):
        super().__init__("refused")
        self.changes = changes


def apply_changes(changes: Sequence[AccountChange], *, journal_id: int | None = None,
                  commit_expecting: int | None = None) -> None:
    """Run the conditional UPDATEs of cached accounts, in the given (ascending id) order, in one
    round trip; raise the precise refusal of the first one refused (the caller rolls back).

    With `commit_expecting` (the journal's posting count) the COMMIT travels in the same round
    trip, after `ledger_expect_postings` has checked that no UPDATE was refused: the row locks
    are then held for the server-side execution only, never across a client round trip."""
    statements = [_change_statement(change, journal_id) for change in changes]
    if commit_expecting is not None:
        statements += [(locks.EXPECT_POSTINGS, (journal_id, commit_expecting)), (locks.COMMIT, None)]
        try:
            locks.execute_pipelined(statements)
        except DatabaseError as error:
            if locks.is_refusal(error):
                raise RefusedInPipeline(changes) from error
            raise
        return
    results = locks.execute_pipelined(statements)
    for change, (_, params), rows in zip(changes, statements, results, strict=True):
        if not rows:
            _raise_refusal(change, change.statuses, params["day"])


def apply_change(change: AccountChange, *, journal_id: int | None = None) -> None:
    apply_changes([change], journal_id=journal_id)


def explain_refusal(changes: Sequence[AccountChange]) -> None:
    """After a rollback: raise the refusal of the first change that would still be refused."""
    day = limits_day()
    for change in changes:
        _raise_refusal(change, change.statuses, day, strict=False)
    raise LedgerError("The wallet changed while the operation ran; please retry.")


def _raise_refusal(change: AccountChange, statuses: Sequence[str], day, *, strict: bool = True) -> None:
    rows = locks.execute(locks.ACCOUNT_DIAGNOSE, (change.account.id,))
    if not rows:
        raise WalletUnavailable("The wallet does not exist.")
    status, balance, held, outflow_day, outflow_total, tier = rows[0]
    if status not in statuses:
        raise WalletUnavailable(f"The wallet is {status}.", fields={"status": [status]})
    limits = limits_for_tier(tier)
    if change.outflow > 0 and change.outflow > limits.single_max:
        raise LimitExceeded("This amount is above the single transaction limit for the wallet's tier.",
                            fields={"limit": ["single_max"]})
    if balance + change.delta - (held + change.held_delta) < 0:
        raise InsufficientFunds()
    spent = outflow_total if outflow_day == day else 0
    if change.outflow > 0 and spent + change.outflow > limits.daily_max:
        raise LimitExceeded("This would exceed the daily limit for the wallet's tier.", fields={"limit": ["daily_max"]})
    if change.delta > 0 and change.check_balance_max and balance + change.delta > limits.balance_max:
        raise LimitExceeded("This would take the wallet above its maximum balance.", fields={"limit": ["balance_max"]})
    if strict:
        raise LedgerError("The wallet changed while the operation ran; please retry.")


def _journal_instance(**values) -> Journal:
    journal = Journal(**values)
    journal._state.adding = False
    journal._state.db = connection.alias
    return journal


def _replayed(*, reference: str, kind: str, specs: Sequence[PostingSpec], reverses_id: int | None) -> Journal:
    """The journal a repeated reference refers to, if it is the same operation."""
    journal = Journal.objects.filter(reference=reference).first()
    if journal is None:
        if reverses_id is not None:
            raise AlreadyReversed()
        raise LedgerError("The journal could not be recorded; please retry.")
    existing = sorted(journal.postings.values_list("account_id", "amount"))
    wanted = sorted((s.account.id, s.amount) for s in specs)
    if journal.kind != kind or existing != wanted or journal.reverses_id != reverses_id:
        raise IdempotencyConflict(fields={"reference": [reference]})
    journal.replayed = True
    return journal


def validate_specs(specs: Sequence[PostingSpec]) -> None:
    if len(specs) < 2:
        raise UnbalancedJournal("A journal needs at least two postings.")
    totals: dict[str, int] = {}
    for spec in specs:
        if isinstance(spec.amount, bool) or not isinstance(spec.amount, int) or spec.amount == 0:
            raise InvalidAmount("Posting amounts must be non-zero whole numbers of kobo.")
        if spec.account.pk is None:
            raise WalletUnavailable("A posting's account does not exist.")
        totals[spec.account.currency] = totals.get(spec.account.currency, 0) + spec.amount
    if any(totals.values()):
        if len(totals) > 1:
            raise CurrencyMismatch("The journal does not balance in each currency.")
        raise UnbalancedJournal()


def post(
    *,
    reference: str,
    kind: str,
    specs: Sequence[PostingSpec],
    narration: str = "",
    metadata: dict | None = None,
    actor: Any,
    reverses_id: int | None = None,
    check_limits: bool = True,
    outflow_for: dict[int, int] | None = None,
    held_release: dict[int, int] | None = None,
    allow_frozen_debit: bool = False,
    audit_action: str = "ledger.journal.posted",
    commit: bool = False,
    on_posted: Callable[[Journal], None] | None = None,
) -> Journal:
    """Post one balanced journal. Must run inside a transaction.

    `outflow_for` maps account id -> kobo counted against its single/daily limits (default: the
    account's net debit when `check_limits`); `held_release` maps account id -> held kobo to
    release in the same UPDATE (hold capture). `on_posted(journal)` runs inside the transaction
    right after a new journal is inserted (never on a replay), before any account row is locked:
    callers use it to write rows that must exist if and only if the journal does (a Transfer, an
    outbox event) without lengthening the time the account locks are held.
    """
    if not reference or len(reference) > 255:
        raise LedgerError("A reference of 1 to 255 characters is required.", code="invalid_reference")
    validate_specs(specs)
    public_id = uuid.uuid4()
    metadata = metadata or {}
    rows = locks.execute(
        """INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, reverses_id, created_at)
           VALUES (%s, %s, %s, %s, %s::jsonb, %s, now())
           ON CONFLICT DO NOTHING RETURNING id, created_at""",
        (public_id, reference, kind, narration, json.dumps(metadata), reverses_id),
    )
    if not rows:
        return _replayed(reference=reference, kind=kind, specs=specs, reverses_id=reverses_id)
    journal_id, created_at = rows[0]
    journal = _journal_instance(id=journal_id, public_id=public_id, reference=reference, kind=kind,
                                narration=narration, metadata=metadata, reverses_id=reverses_id,
                                created_at=created_at)
    journal.replayed = False
    audit_record(
        action=audit_action, actor=actor, subject=journal, references=[reference],
        payload={"kind": kind, "narration": narration, "reverses": reverses_id,
                 "postings": [[str(s.account.public_id), s.amount] for s in specs]},
    )

    if on_posted is not None:
        on_posted(journal)

    derived = [s for s in specs if s.account.is_derived]
    if derived:
        locks.execute(locks.DERIVED_POSTINGS, (journal_id, [s.account.id for s in derived],
                                               [s.account.currency for s in derived], [s.amount for s in derived]))

    changes: dict[int, AccountChange] = {}
    for spec in specs:
        if spec.account.is_derived:
            continue
        change = changes.setdefault(spec.account.id, AccountChange(account=spec.account))
        change.amounts.append(spec.amount)
    ordered = [changes[account_id] for account_id in sorted(changes)]  # ascending id: the global lock order
    for change in ordered:
        account_id = change.account.id
        delta = change.delta
        if outflow_for is not None:
            change.outflow = outflow_for.get(account_id, 0)
        elif check_limits and delta < 0:
            change.outflow = -delta
        change.held_delta = -(held_release or {}).get(account_id, 0)
        change.check_balance_max = check_limits
        change.statuses = _debit_statuses(allow_frozen_debit) if delta < 0 else CREDIT_STATUSES
    if ordered:
        apply_changes(ordered, journal_id=journal_id, commit_expecting=len(specs) if commit else None)
    return journal


def post_durably(**kwargs: Any) -> Journal:
    """`post` in its own durable transaction. When that transaction is the outermost one (always,
    except inside a test case's wrapping transaction), the COMMIT is pipelined with the balance
    updates (see `apply_changes`); a refusal is then explained after the rollback."""
    try:
        with transaction.atomic(durable=True):
            return post(**kwargs, commit=len(connection.atomic_blocks) == 1)
    except RefusedInPipeline as refused:
        explain_refusal(refused.changes)
        raise  # unreachable: explain_refusal always raises
