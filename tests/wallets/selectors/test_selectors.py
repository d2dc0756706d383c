import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from tests.wallets.conftest import ledger_snapshot
from wallets.models import LedgerAccount
from wallets.selectors import account_balance, balance_at, fee_for, ledger_integrity_check, statement
from wallets.services import hold_place, system_account, transfer


def test_balance_held_available(wallet_factory, actor):
    wallet = wallet_factory(balance=100_000)
    hold_place(account=wallet, amount=30_000, reference="sel-h", expires_at=dt.datetime.now(dt.UTC)
               + dt.timedelta(hours=1), actor=actor)
    balance = account_balance(account=wallet)
    assert (balance.balance, balance.held, balance.available) == (100_000, 30_000, 70_000)
    assert account_balance(account=system_account("fees_revenue")).balance == 0


def test_derived_balance_of_system_accounts(wallet_factory, actor):
    before = account_balance(account=system_account("monnify_clearing")).balance
    wallet_factory(balance=12_345)
    assert account_balance(account=system_account("monnify_clearing")).balance == before - 12_345


def test_statement_keyset_pages_and_date_filters(wallet_factory, actor):
    # given: 1 deposit + 7 transfers out
    wallet, other = wallet_factory(balance=100_000), wallet_factory()
    for n in range(7):
        transfer(source=wallet, destination=other, amount=1_000 + n, reference=f"st-{n}", actor=actor)
    # when
    first = statement(account=wallet, limit=3)
    second = statement(account=wallet, limit=3, cursor=first.next_cursor)
    third = statement(account=wallet, limit=3, cursor=second.next_cursor)
    # then: newest first, no overlap, the deposit last
    assert [e.reference for e in first.entries] == ["st-6", "st-5", "st-4"]
    assert [e.reference for e in second.entries] == ["st-3", "st-2", "st-1"]
    assert [e.reference for e in third.entries][0] == "st-0" and third.entries[-1].kind == "deposit"
    assert third.next_cursor is None
    assert first.entries[0].amount == -1_006 and first.entries[0].balance_after == 100_000 - sum(
        1_000 + n for n in range(7))
    # date filters
    moment = second.entries[0].created_at
    assert [e.reference for e in statement(account=wallet, since=moment, limit=50).entries] == [
        "st-6", "st-5", "st-4", "st-3"]
    assert statement(account=wallet, until=moment, limit=50).entries[0].reference == "st-2"


def test_balance_at_a_past_moment(wallet_factory, actor):
    wallet, other = wallet_factory(balance=100_000), wallet_factory()
    transfer(source=wallet, destination=other, amount=10_000, reference="ba-1", actor=actor)
    after_first = statement(account=wallet, limit=1).entries[0].created_at
    transfer(source=wallet, destination=other, amount=5_000, reference="ba-2", actor=actor)
    assert balance_at(account=wallet, at=after_first) == 90_000
    assert balance_at(account=wallet, at=after_first - dt.timedelta(days=1)) == 0
    assert balance_at(account=wallet, at=after_first + dt.timedelta(days=1)) == 85_000


@pytest.mark.parametrize("kind, amount, fee", [
    ("p2p", 1_000_000, 0), ("withdrawal", 1, 1_000), ("withdrawal", 500_000, 1_000), ("withdrawal", 500_001, 2_500),
    ("withdrawal", 5_000_000, 2_500), ("withdrawal", 5_000_001, 5_000), ("withdrawal", 10**12, 5_000),
])
def test_fee_schedule(kind, amount, fee):
    assert fee_for(kind, amount) == fee


def test_integrity_check_is_clean_then_names_each_discrepancy(wallet_factory, actor):
    # given
    wallet = wallet_factory(balance=100_000)
    assert ledger_integrity_check().ok
    # when: the cached row is corrupted behind the ledger's back (constraints still allow it)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallets_ledgeraccount SET balance = balance + 7, held = 3 WHERE id = %s", [wallet.id])
    # then
    kinds = {(d.kind, d.expected, d.found) for d in ledger_integrity_check().discrepancies}
    assert ("balance_mismatch", 100_000, 100_007) in kinds
    assert ("held_mismatch", 0, 3) in kinds
    with pytest.raises(CommandError) as info:
        call_command("ledger_check", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 1


def test_ledger_check_command_ok(wallet_factory):
    wallet_factory(balance=1_000)
    out = io.StringIO()
    call_command("ledger_check", stdout=out)
    assert "ledger_check: OK" in out.getvalue()


def test_statement_refusal_of_bad_cursor(wallet_factory):
    with pytest.raises(ValueError):
        statement(account=wallet_factory(), cursor="not-a-cursor")


@pytest.mark.django_db(transaction=True)
def test_integrity_check_reads_one_repeatable_read_snapshot(monkeypatch):
    # given: record the isolation level seen by the check's queries
    from wallets import integrity

    seen = []
    original = integrity._COUNTS
    monkeypatch.setattr(integrity, "_COUNTS", "SELECT current_setting('transaction_isolation'), 0, 0, 0")
    report = ledger_integrity_check()
    seen.append(report.accounts)
    monkeypatch.setattr(integrity, "_COUNTS", original)
    # then
    assert seen == ["repeatable read"]
    assert not transaction.get_connection().in_atomic_block
    assert ledger_snapshot()["accounts"] == list(LedgerAccount.objects.order_by("id").values_list(
        "id", "status", "balance", "held", "version", "outflow_day", "outflow_total"))
