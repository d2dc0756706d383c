"""The posting engine every ledger service goes through. Not an entry point: services call
`post_durably`, which makes the journal its own transaction.

Order of work, chosen so that the account row locks are held as briefly as possible (from the
first wallet UPDATE to COMMIT):

1. insert the journal, `ON CONFLICT DO NOTHING`, and its audit row (the audit row exists exactly
   when the journal does): a reference seen before (even one being committed by a concurrent
   transaction, which this insert waits for) returns the first journal after comparing its
   content, and moves no money;
2. insert the postings of derived accounts (system accounts: no lock, no cached balance);
3. for each cached account in ascending id order: one conditional UPDATE ... RETURNING, then its
   postings with `balance_after`.

When the journal is the whole transaction (production: no atomic block is open), all of that is
ONE prepared call of `ledger_post_journal` (wallets/sql/0005_ledger_post_function.sql) in
autocommit: one round trip, one protocol message, and no lock held across a client round trip.
A replayed reference or a refused UPDATE makes it raise; the engine then answers (the first
journal, or the precise refusal read after the rollback). Inside an outer transaction (a caller
that locks a hold first, tests) the same statements run one by one from wallets/locks.py: the
journal first, then the rest in one pipelined round trip.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction

from audit.services import AUDIT_COLUMN_LIST, AUDIT_PLACEHOLDERS, audit_row
from cozonpay.db import Statement

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

# The journal and its audit row, in one statement: the audit row is inserted only if the journal is.
JOURNAL_WITH_AUDIT = f"""
WITH journal AS (
    INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, reverses_id, created_at)
    VALUES (%s, %s, %s, %s, %s::jsonb, %s, now())
    ON CONFLICT DO NOTHING
    RETURNING id, created_at
), audit AS (
    INSERT INTO audit_auditevent ({AUDIT_COLUMN_LIST})
    SELECT {AUDIT_PLACEHOLDERS} FROM journal
)
SELECT id, created_at FROM journal
"""  # noqa: S608 (composed of constants only)

# The whole journal in one statement (see the module docstring).
POST_JOURNAL = (
    "SELECT o_journal_id, o_created_at FROM ledger_post_journal("
    "%s, %s, %s, %s, %s::jsonb, %s, %s::varchar[], %s::varchar[], %s::inet, %s::jsonb, "
    "%s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[], "
    "%s::bigint[], %s::boolean[], %s::bigint[], %s::bigint[], %s::bigint[], %s, %s, %s::bigint[], %s::bigint[], "
    "%s::bigint[], %s)"
)


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


def _array(values: Sequence) -> str:
    """A PostgreSQL array literal of ints or plain words (the statements cast it): far cheaper for
    the driver to send than a list, which it inspects element by element."""
    return "{" + ",".join(str(value) for value in values) + "}"


def _change_statement(change: AccountChange) -> tuple[str, dict[str, Any]]:
    account = change.account
    single, daily, balmax = limit_arrays()
    statuses = change.statuses or (_debit_statuses(False) if change.delta < 0 else CREDIT_STATUSES)
    change.statuses = tuple(statuses)
    params: dict[str, Any] = {
        "account_id": account.id, "delta": change.delta, "held_delta": change.held_delta,
        "outflow": change.outflow, "day": limits_day(), "statuses": _array(statuses),
        "check_balance_max": change.check_balance_max, "single": _array(single), "daily": _array(daily),
        "balmax": _array(balmax), "unlimited": UNLIMITED,
    }
    if not change.amounts:
        return locks.ACCOUNT_CHANGE, params
    running, total = [], 0
    for amount in change.amounts:
        total += amount
        running.append(total)
    params.update(currency=account.currency, amounts=_array(change.amounts), runnings=_array(running))
    return locks.ACCOUNT_CHANGE_WITH_POSTINGS, params


class RefusedInPipeline(Exception):
    """A conditional UPDATE sent together with the COMMIT was refused; the transaction is rolled
    back and `explain_refusal` says why."""

    def __init__(self, changes: Sequence[AccountChange]):
        super().__init__("refused")
        self.changes = changes


class ReplayedInPipeline(Exception):
    """The journal's reference was posted before (found by the INSERT sent together with the
    COMMIT); the transaction is rolled back and the first journal is returned (`_replayed`)."""


def apply_changes(changes: Sequence[AccountChange], *, prefix: Sequence[tuple[str, Any]] = ()) -> None:
    """Run `prefix` statements, then the conditional UPDATEs of cached accounts in the given
    (ascending id) order, each behind its account's queue (`locks.ACCOUNT_QUEUE`), in one round
    trip; raise the precise refusal of the first one refused (the caller rolls back)."""
    statements = [_change_statement(change) for change in changes]
    queued = [item for change, statement in zip(changes, statements, strict=True)
              for item in ((locks.ACCOUNT_QUEUE, (change.account.id,)), statement)]
    results = locks.execute_pipelined([*prefix, *queued])[len(prefix) + 1::2]
    for change, (_, params), rows in zip(changes, statements, results, strict=True):
        if not rows:
            _raise_refusal(change, change.statuses, params["day"])


def apply_change(change: AccountChange) -> None:
    apply_changes([change])


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
    autocommit: bool = False,
    with_journal: Sequence[Statement] = (),
) -> Journal:
    """Post one balanced journal: inside the caller's transaction, or with `autocommit` (no atomic
    block open) as one statement that is its own transaction.

    `outflow_for` maps account id -> kobo counted against its single/daily limits (default: the
    account's net debit when `check_limits`); `held_release` maps account id -> held kobo to
    release in the same UPDATE (hold capture). `with_journal` statements run in the journal's
    transaction, only when the journal is new: rows that must exist if and only if the journal does
    (a Transfer, an outbox event), referring to it as `currval('wallets_journal_id_seq')`. With
    `autocommit` they travel in the journal's own round trip; otherwise they run right after the
    journal insert, before any account row is locked. Their `on_rows` callbacks run after them.
    """
    if not reference or len(reference) > 255:
        raise LedgerError("A reference of 1 to 255 characters is required.", code="invalid_reference")
    validate_specs(specs)
    public_id = uuid.uuid4()
    metadata = metadata or {}
    audit_values, _ = audit_row(
        action=audit_action, actor=actor, subject=("wallets.Journal", public_id), references=[reference],
        payload={"kind": kind, "narration": narration, "reverses": reverses_id,
                 "postings": [[str(s.account.public_id), s.amount] for s in specs]},
    )
    journal_statement = (JOURNAL_WITH_AUDIT, (public_id, reference, kind, narration, json.dumps(metadata),
                                              reverses_id, *audit_values))

    posting_statements = []
    derived = [s for s in specs if s.account.is_derived]
    if derived:
        posting_statements.append((locks.DERIVED_POSTINGS, (
            _array([s.account.id for s in derived]), _array([s.account.currency for s in derived]),
            _array([s.amount for s in derived]))))
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

    if autocommit:
        rows = _post_in_one_round_trip(journal_statement[1], derived, ordered, check_limits=check_limits,
                                       with_journal=with_journal)
    else:
        rows = locks.execute(*journal_statement)
        if not rows:
            return _replayed(reference=reference, kind=kind, specs=specs, reverses_id=reverses_id)
        if with_journal:
            _after_run(with_journal, locks.execute_pipelined([(st.sql, st.params) for st in with_journal]))
        if ordered:
            apply_changes(ordered, prefix=posting_statements)
        elif posting_statements:
            locks.execute_pipelined(posting_statements)
    journal_id, created_at = rows[0]
    journal = _journal_instance(id=journal_id, public_id=public_id, reference=reference, kind=kind,
                                narration=narration, metadata=metadata, reverses_id=reverses_id,
                                created_at=created_at)
    journal.replayed = False
    return journal


def _after_run(statements: Sequence[Statement], results: list[list[tuple]]) -> None:
    for statement, rows in zip(statements, results, strict=True):
        if statement.on_rows is not None:
            statement.on_rows(rows)


def _post_in_one_round_trip(journal_params: Sequence, derived: Sequence[PostingSpec],
                            ordered: Sequence[AccountChange], *, check_limits: bool,
                            with_journal: Sequence[Statement]) -> list[tuple]:
    """`ledger_post_journal` as its own transaction, in one round trip: alone in autocommit, or,
    with `with_journal` statements, pipelined with them and the COMMIT inside the caller's
    (outermost, durable) atomic block."""
    public_id, reference, kind, narration, metadata, reverses_id, *audit = journal_params
    single, daily, balmax = limit_arrays()
    posting_accounts, posting_amounts, runnings = [], [], []
    for change in ordered:
        total = 0
        for amount in change.amounts:
            total += amount
            posting_accounts.append(change.account.id)
            posting_amounts.append(amount)
            runnings.append(total)
    params = (
        public_id, reference, kind, narration, metadata, reverses_id,
        [*audit[:6], audit[7]], audit[6], audit[8], audit[9],
        _array([s.account.id for s in derived]), _array([s.account.currency for s in derived]),
        _array([s.amount for s in derived]),
        _array([c.account.id for c in ordered]), _array([c.account.currency for c in ordered]),
        _array([c.delta for c in ordered]), _array([c.held_delta for c in ordered]),
        _array([c.outflow for c in ordered]),
        _array(["t" if AccountStatus.FROZEN in c.statuses else "f" for c in ordered]),
        _array(posting_accounts), _array(posting_amounts), _array(runnings),
        check_limits, limits_day(), _array(single), _array(daily), _array(balmax), UNLIMITED,
    )
    try:
        if not with_journal:
            return locks.execute(POST_JOURNAL, params)
        results = locks.execute_pipelined([(POST_JOURNAL, params), *((st.sql, st.params) for st in with_journal),
                                           ("COMMIT", None)])
    except DatabaseError as error:
        if locks.is_replay(error):
            raise ReplayedInPipeline() from error
        if locks.is_refusal(error):
            raise RefusedInPipeline(ordered) from error
        raise
    _after_run(with_journal, results[1:-1])
    return results[0]


def post_durably(**kwargs: Any) -> Journal:
    """`post` as its own transaction. With no atomic block open (production), the journal is one
    autocommitted statement, or one pipelined round trip with its `with_journal` statements and
    the COMMIT (see the module docstring); a refusal is then explained after the rollback. Inside
    an atomic block (tests; elsewhere `durable` refuses the nesting) the statements run one by one
    in a durable block."""
    try:
        if not connection.in_atomic_block:
            if not kwargs.get("with_journal"):
                return post(**kwargs, autocommit=True)
            with transaction.atomic(durable=True):
                return post(**kwargs, autocommit=True)
        with transaction.atomic(durable=True):
            return post(**kwargs)
    except RefusedInPipeline as refused:
        explain_refusal(refused.changes)
        raise  # unreachable: explain_refusal always raises
    except ReplayedInPipeline:
        return _replayed(reference=kwargs["reference"], kind=kwargs["kind"], specs=kwargs["specs"],
                         reverses_id=kwargs.get("reverses_id"))
