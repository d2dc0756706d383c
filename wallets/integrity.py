"""`ledger_integrity_check()`: proves, in one REPEATABLE READ snapshot, that

* every cached balance equals the sum of the account's postings, and every `balance_after`
  equals the running sum of the account's postings up to it;
* every journal has at least two postings summing to zero in each currency;
* every account's `held` equals the sum of its pending holds;
* accounts that may not go negative are not negative, derived accounts have no cached balance;
* each reversal is the exact mirror of the journal it reverses.

Each discrepancy is reported with what was expected and what was found. It reads everything, so
it runs from `manage.py ledger_check` (cron, after a benchmark), never on a request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    subject: str
    expected: object
    found: object
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.kind}: {self.subject}: expected {self.expected}, found {self.found}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class IntegrityReport:
    checked_at: dt.datetime
    accounts: int = 0
    journals: int = 0
    postings: int = 0
    pending_holds: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies


_ACCOUNTS = """
SELECT a.id, a.public_id, a.allow_negative, a.balance, a.held,
       COALESCE(p.total, 0), COALESCE(p.n, 0), COALESCE(p.with_after, 0), COALESCE(h.total, 0), COALESCE(h.n, 0)
  FROM wallets_ledgeraccount a
  LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS n, COUNT(balance_after) AS with_after
               FROM wallets_posting GROUP BY account_id) p ON p.account_id = a.id
  LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS n
               FROM wallets_hold WHERE status = 'pending' GROUP BY account_id) h ON h.account_id = a.id
 ORDER BY a.id
"""

_RUNNING = """
SELECT id, account_id, balance_after, running FROM (
    SELECT p.id, p.account_id, p.balance_after,
           SUM(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.id) AS running
      FROM wallets_posting p JOIN wallets_ledgeraccount a ON a.id = p.account_id
     WHERE NOT a.allow_negative
) s WHERE balance_after IS DISTINCT FROM running
ORDER BY id LIMIT 1000
"""

_JOURNALS = """
SELECT j.id, j.reference, p.currency, COALESCE(SUM(p.amount), 0), COUNT(p.id)
  FROM wallets_journal j LEFT JOIN wallets_posting p ON p.journal_id = j.id
 GROUP BY j.id, j.reference, p.currency
HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2
 ORDER BY j.id LIMIT 1000
"""

_CURRENCY = """
SELECT p.id, p.currency, a.currency FROM wallets_posting p JOIN wallets_ledgeraccount a ON a.id = p.account_id
 WHERE p.currency <> a.currency ORDER BY p.id LIMIT 1000
"""

_REVERSALS = """
SELECT r.reference, x.account_id, SUM(x.amount)
  FROM wallets_journal r
  JOIN LATERAL (SELECT account_id, amount FROM wallets_posting WHERE journal_id = r.id
                UNION ALL
                SELECT account_id, amount FROM wallets_posting WHERE journal_id = r.reverses_id) x ON true
 WHERE r.reverses_id IS NOT NULL
 GROUP BY r.reference, x.account_id HAVING SUM(x.amount) <> 0 LIMIT 1000
"""

_HOLDS = """
SELECT reference, status, amount, captured_amount, journal_id FROM wallets_hold
 WHERE (status = 'captured' AND (journal_id IS NULL OR captured_amount <= 0))
    OR (status <> 'captured' AND (journal_id IS NOT NULL OR captured_amount <> 0))
 ORDER BY id LIMIT 1000
"""

_COUNTS = """
SELECT (SELECT COUNT(*) FROM wallets_ledgeraccount), (SELECT COUNT(*) FROM wallets_journal),
       (SELECT COUNT(*) FROM wallets_posting), (SELECT COUNT(*) FROM wallets_hold WHERE status = 'pending')
"""


def ledger_integrity_check() -> IntegrityReport:
    report = IntegrityReport(checked_at=timezone.now())
    add = report.discrepancies.append
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:  # our own transaction: one consistent snapshot for every query below
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

        cursor.execute(_COUNTS)
        report.accounts, report.journals, report.postings, report.pending_holds = cursor.fetchone()

        cursor.execute(_ACCOUNTS)
        for (account_id, public_id, derived, balance, held, total, n, with_after, holds_total,
             holds_n) in cursor.fetchall():
            subject = f"account {account_id} ({public_id})"
            if held != holds_total:
                add(Discrepancy("held_mismatch", subject, holds_total, held, f"{holds_n} pending holds"))
            if derived:
                if balance != 0:
                    add(Discrepancy("derived_account_cached_balance", subject, 0, balance,
                                    "accounts that may go negative keep no cached balance"))
                if with_after:
                    add(Discrepancy("derived_account_balance_after", subject, 0, with_after,
                                    "postings with balance_after on a derived account"))
                continue
            if balance != total:
                add(Discrepancy("balance_mismatch", subject, total, balance, f"sum of {n} postings"))
            if balance < 0 or held > balance:
                add(Discrepancy("negative_available", subject, ">= 0", balance - held,
                                f"balance {balance}, held {held}"))

        cursor.execute(_RUNNING)
        for posting_id, account_id, balance_after, running in cursor.fetchall():
            add(Discrepancy("balance_after_mismatch", f"posting {posting_id} (account {account_id})",
                            running, balance_after, "running sum of the account's postings"))

        cursor.execute(_JOURNALS)
        for journal_id, reference, currency, total, n in cursor.fetchall():
            subject = f"journal {journal_id} ({reference})"
            if n < 2 and total == 0:
                add(Discrepancy("journal_too_few_postings", subject, ">= 2", n))
            else:
                add(Discrepancy("journal_unbalanced", subject, 0, total, f"{currency}, {n} postings"))

        cursor.execute(_CURRENCY)
        for posting_id, posting_currency, account_currency in cursor.fetchall():
            add(Discrepancy("posting_currency_mismatch", f"posting {posting_id}", account_currency, posting_currency))

        cursor.execute(_REVERSALS)
        for reference, account_id, total in cursor.fetchall():
            add(Discrepancy("reversal_not_mirror", f"journal {reference} account {account_id}", 0, total,
                            "reversal + original should net to zero per account"))

        cursor.execute(_HOLDS)
        for reference, status, amount, captured, journal_id in cursor.fetchall():
            add(Discrepancy("hold_inconsistent", f"hold {reference}", "captured <=> journal and captured_amount",
                            f"status {status}, captured {captured}/{amount}, journal {journal_id}"))
    return report
