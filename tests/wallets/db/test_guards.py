"""The database refuses bad ledger data whatever the application does: raw SQL, real commits."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.factories import make_wallet
from wallets.models import Journal, Posting
from wallets.services import system_account, transfer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def funded(actor):
    a, b = make_wallet(balance=100_000), make_wallet()
    journal = transfer(source=a, destination=b, amount=10_000, reference="guard-t", actor=actor)
    return a, b, journal


def _sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _counts():
    return Journal.objects.count(), Posting.objects.count()


def _raw_journal(cursor, reference: str) -> int:
    """A journal inserted by raw SQL, bypassing the posting engine; its id."""
    cursor.execute("INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, created_at) "
                   "VALUES (gen_random_uuid(), %s, 'adjustment', '', '{}', now()) RETURNING id", [reference])
    return cursor.fetchone()[0]


def _raw_postings(cursor, journal_id: int, *postings: tuple[int, int], currency: str = "NGN") -> None:
    """Postings (account id, amount) inserted by raw SQL into `journal_id`."""
    cursor.execute("INSERT INTO wallets_posting (journal_id, account_id, currency, amount, created_at) "
                   "SELECT %s, p.account_id, %s, p.amount, now() "
                   "FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS p(account_id, amount, n) ORDER BY p.n",
                   [journal_id, currency, [a for a, _ in postings], [m for _, m in postings]])


def test_unbalanced_journal_is_refused_at_commit(funded):
    # given
    a, _, _ = funded
    clearing = system_account("monnify_clearing")
    before = _counts()
    # when / then: each statement passes, the COMMIT fails
    with pytest.raises(DatabaseError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_postings(cursor, _raw_journal(cursor, "raw-unbalanced"), (a.id, 500), (clearing.id, -400))
    assert _counts() == before


def test_posting_added_later_to_a_committed_journal_is_refused(funded):
    a, _, journal = funded
    before = _counts()
    with pytest.raises(DatabaseError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_postings(cursor, journal.id, (a.id, 1))
    assert _counts() == before


def test_journal_without_postings_is_refused_at_commit(db):
    with pytest.raises(DatabaseError, match="at least two postings"):
        _sql("INSERT INTO wallets_journal (public_id, reference, kind, narration, metadata, created_at) "
             "VALUES (gen_random_uuid(), 'raw-empty', 'adjustment', '', '{}', now())")
    assert not Journal.objects.filter(reference="raw-empty").exists()


def test_negative_customer_balance_is_refused(funded):
    a, _, _ = funded
    with pytest.raises(DatabaseError, match="ledger_account_balance_nonnegative"):
        _sql("UPDATE wallets_ledgeraccount SET balance = -1 WHERE id = %s", [a.id])
    with pytest.raises(DatabaseError, match="ledger_account_held_within_balance"):
        _sql("UPDATE wallets_ledgeraccount SET held = balance + 1 WHERE id = %s", [a.id])
    with pytest.raises(DatabaseError, match="ledger_account_held_nonnegative"):
        _sql("UPDATE wallets_ledgeraccount SET held = -1 WHERE id = %s", [a.id])
    a.refresh_from_db()
    assert (a.balance, a.held) == (90_000, 0)


def test_system_accounts_may_go_negative(db):
    _sql("UPDATE wallets_ledgeraccount SET balance = -5 WHERE id = %s", [system_account("suspense").id])
    _sql("UPDATE wallets_ledgeraccount SET balance = 0 WHERE id = %s", [system_account("suspense").id])


def test_zero_posting_and_wrong_currency_are_refused(funded):
    a, b, _ = funded
    before = _counts()
    with pytest.raises(DatabaseError, match="ledger_posting_amount_nonzero"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_postings(cursor, _raw_journal(cursor, "raw-zero"), (a.id, 0))
    with pytest.raises(DatabaseError, match="ledger_posting_account_currency_fk"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_postings(cursor, _raw_journal(cursor, "raw-usd"), (a.id, 5), (b.id, -5), currency="USD")
    assert _counts() == before


@pytest.mark.parametrize("statement", [
    "UPDATE wallets_posting SET amount = amount * 2",
    "DELETE FROM wallets_posting",
    "TRUNCATE wallets_posting",
    "UPDATE wallets_journal SET narration = 'edited'",
    "DELETE FROM wallets_journal",
    "TRUNCATE wallets_journal CASCADE",
    "DELETE FROM wallets_ledgeraccount",
])
def test_append_only_ledger(funded, statement):
    # given
    before = (list(Journal.objects.values_list("id", "narration")),
              list(Posting.objects.values_list("id", "amount")))
    # when / then
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(statement)
    assert (list(Journal.objects.values_list("id", "narration")),
            list(Posting.objects.values_list("id", "amount"))) == before


def test_posting_added_after_its_journal_was_checked_in_the_same_transaction_is_refused(funded):
    # given: a balanced journal whose COMMIT-time check is run early (SET CONSTRAINTS ... IMMEDIATE),
    # which records it as verified for the rest of the transaction
    a, _, _ = funded
    clearing = system_account("monnify_clearing")
    before = _counts()
    # when: a posting is added to that journal afterwards / then: its own check still runs
    with pytest.raises(DatabaseError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            journal_id = _raw_journal(cursor, "raw-checked-early")
            _raw_postings(cursor, journal_id, (a.id, 500), (clearing.id, -500))
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT current_setting('ledger.verified_journal', true)")
            assert cursor.fetchone()[0].startswith(f"{journal_id}:")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            _raw_postings(cursor, journal_id, (clearing.id, 7))
    assert _counts() == before


def test_each_journal_of_a_transaction_is_checked(funded):
    # given: two journals in one transaction, the first balanced, the second not
    a, _, _ = funded
    clearing = system_account("monnify_clearing")
    before = _counts()
    with pytest.raises(DatabaseError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            for reference, credit in (("raw-two-ok", 300), ("raw-two-bad", 299)):
                _raw_postings(cursor, _raw_journal(cursor, reference), (a.id, credit), (clearing.id, -300))
    assert _counts() == before
