"""Every statement of the ledger that takes a row lock, in one place (cf. Saleor's lock_objects).

Lock order, global: the business object first (a hold, locked with `hold_lock`), then ledger
accounts by ascending id. An account row is locked only by the conditional UPDATE that changes
it (`ACCOUNT_CHANGE`): there is no separate SELECT ... FOR UPDATE round trip, and the lock is
held from that statement to COMMIT. Accounts that may go negative (system accounts) are never
locked: their postings are plain inserts.

Just before each account's UPDATE, in the same order, a writer queues on a transaction advisory
lock keyed by the account id (`ACCOUNT_QUEUE`, a statement of its own so that the UPDATE then
takes a fresh snapshot; `ledger_post_journal` does the same, wallets/sql/0007): a hot wallet's
waiters are woken one at a time once the holder's commit is visible, instead of all re-running
their UPDATE against each new row version. The row lock stays the only guard of the balance, and
one global order (account id; advisory lock, then row) keeps it deadlock-free.

`ACCOUNT_CHANGE` moves balance/held and the day's outflow counter in one statement, and only if
every rule holds at that instant: status allows it, available funds suffice, the KYC single and
daily outflow limits and the maximum balance are respected. Under READ COMMITTED a statement
that waited for the row lock re-evaluates its WHERE clause on the newest row version, so two
concurrent debits can never both pass. A refused change returns no row and changes nothing;
the caller then reads the row (`ACCOUNT_DIAGNOSE`) to say why and rolls back.
"""

from __future__ import annotations

from cozonpay import db

from .models import Hold

_LIMITS_CTE = """
lim AS (
    SELECT COALESCE((%(single)s::bigint[])[u.kyc_tier + 1], %(unlimited)s) AS single_max,
           COALESCE((%(daily)s::bigint[])[u.kyc_tier + 1], %(unlimited)s) AS daily_max,
           COALESCE((%(balmax)s::bigint[])[u.kyc_tier + 1], %(unlimited)s) AS balance_max
      FROM wallets_ledgeraccount acc
      LEFT JOIN users_user u ON u.id = acc.owner_id
     WHERE acc.id = %(account_id)s
)"""

_UPDATE_CTE = """
upd AS (
    UPDATE wallets_ledgeraccount a
       SET balance = a.balance + %(delta)s,
           held = a.held + %(held_delta)s,
           version = a.version + 1,
           outflow_total = GREATEST(
               CASE WHEN a.outflow_day = %(day)s THEN a.outflow_total ELSE 0 END + %(outflow)s, 0),
           outflow_day = %(day)s
      FROM lim
     WHERE a.id = %(account_id)s
       AND a.status = ANY(%(statuses)s::varchar[])
       AND a.held + %(held_delta)s >= 0
       AND a.balance + %(delta)s - (a.held + %(held_delta)s) >= 0
       AND (%(outflow)s <= 0 OR (
                %(outflow)s <= lim.single_max
            AND CASE WHEN a.outflow_day = %(day)s THEN a.outflow_total ELSE 0 END + %(outflow)s <= lim.daily_max))
       AND (%(delta)s <= 0 OR NOT %(check_balance_max)s OR a.balance + %(delta)s <= lim.balance_max)
 RETURNING a.balance, a.held
)"""

# Change one cached account and insert its postings with balance_after, in one statement. The
# postings belong to the journal this session inserted last (`currval` of the journal ids), so the
# statement can travel in the same round trip as that INSERT.
ACCOUNT_CHANGE_WITH_POSTINGS = f"""
WITH {_LIMITS_CTE}, {_UPDATE_CTE}
INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
SELECT currval('wallets_journal_id_seq'), %(account_id)s, %(currency)s, v.amount, upd.balance - %(delta)s + v.running,
       clock_timestamp()
  FROM upd, unnest(%(amounts)s::bigint[], %(runnings)s::bigint[]) WITH ORDINALITY AS v(amount, running, ord)
 ORDER BY v.ord
RETURNING id, balance_after
"""  # noqa: S608 (composed of constants only)

# Change one cached account without postings (hold place / release / expire).
ACCOUNT_CHANGE = f"""
WITH {_LIMITS_CTE}, {_UPDATE_CTE}
SELECT balance, held FROM upd
"""  # noqa: S608 (composed of constants only)

ACCOUNT_DIAGNOSE = """
SELECT a.status, a.balance, a.held, a.outflow_day, a.outflow_total, u.kyc_tier
  FROM wallets_ledgeraccount a
  LEFT JOIN users_user u ON u.id = a.owner_id
 WHERE a.id = %s
"""

# Postings of derived accounts (system accounts): plain inserts, no lock, no balance_after; for the
# journal this session inserted last.
DERIVED_POSTINGS = """
INSERT INTO wallets_posting (journal_id, account_id, currency, amount, balance_after, created_at)
SELECT currval('wallets_journal_id_seq'), v.account_id, v.currency, v.amount, NULL, clock_timestamp()
  FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[]) WITH ORDINALITY AS v(account_id, currency, amount, ord)
 ORDER BY v.ord
"""

# The queue in front of an account's row lock (see the module docstring). Key: the account id (the
# only other advisory key in use, audit sealing's, is a 64-bit constant far above any id).
ACCOUNT_QUEUE = "SELECT pg_advisory_xact_lock(%s)"

# Status changes: one conditional UPDATE each (the row lock orders them against money moves).
ACCOUNT_SET_STATUS = """
UPDATE wallets_ledgeraccount
   SET status = %(to_status)s, version = version + 1
 WHERE id = %(account_id)s AND status = ANY(%(from_statuses)s::varchar[])
   AND (NOT %(require_empty)s OR (balance = 0 AND held = 0))
RETURNING status
"""


def hold_lock(*, hold_id: int) -> Hold:
    """Lock a hold row (the business object) before touching its account."""
    return Hold.objects.select_for_update(of=("self",)).select_related("account").get(pk=hold_id)


# Statements go through cozonpay.db: server-side prepared (planned once per connection), ints as
# int8, several statements per network round trip where the protocol allows.
execute = db.execute_prepared
execute_pipelined = db.execute_pipelined

# `ledger_post_journal` (wallets/sql/0005_ledger_post_function.sql) raises with one of these hints
# when the reference was posted before or when a conditional UPDATE was refused.


def _hint(error: BaseException) -> str | None:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "message_hint", None)


def is_refusal(error: BaseException) -> bool:
    """True for the error `ledger_post_journal` raises when a conditional UPDATE was refused."""
    return _hint(error) == "ledger_refused"


def is_replay(error: BaseException) -> bool:
    """True for the error `ledger_post_journal` raises when the reference was already posted."""
    return _hint(error) == "ledger_replayed"
