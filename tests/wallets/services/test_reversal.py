import pytest

from audit.models import AuditEvent
from tests.wallets.conftest import ledger_snapshot, postings_of
from wallets.exceptions import AlreadyReversed, InsufficientFunds
from wallets.services import journal_reverse, system_account, transfer, wallet_freeze


def test_reversal_mirrors_the_journal(wallet_factory, actor):
    # given
    a, b = wallet_factory(balance=100_000), wallet_factory(balance=0)
    original = transfer(source=a, destination=b, amount=30_000, fee=500, reference="t-r", actor=actor)
    fees = system_account("fees_revenue")
    # when
    reversal = journal_reverse(journal=original, actor=actor, narration="sent in error")
    # then
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (100_000, 0)
    assert reversal.reference == "reversal:t-r" and reversal.reverses_id == original.id
    assert reversal.kind == "reversal"
    assert sorted(postings_of(reversal)) == sorted([
        (a.id, 30_000, 99_500), (b.id, -30_000, 0), (a.id, 500, 100_000), (fees.id, -500, None)])
    assert AuditEvent.objects.filter(action="ledger.journal.reversed", references=["reversal:t-r"]).count() == 1


def test_reversal_happens_at_most_once(wallet_factory, actor):
    a, b = wallet_factory(balance=100_000), wallet_factory(balance=0)
    original = transfer(source=a, destination=b, amount=30_000, reference="t-r2", actor=actor)
    first = journal_reverse(journal=original, actor=actor)
    # the same call again returns the same reversal
    assert journal_reverse(journal=original, actor=actor).id == first.id
    before = ledger_snapshot()
    with pytest.raises(AlreadyReversed):
        journal_reverse(journal=original, actor=actor, reference="another-ref")
    assert ledger_snapshot() == before


def test_reversal_cannot_overdraw(wallet_factory, actor):
    a, b, c = wallet_factory(balance=100_000), wallet_factory(balance=0), wallet_factory()
    original = transfer(source=a, destination=b, amount=30_000, reference="t-r3", actor=actor)
    transfer(source=b, destination=c, amount=20_000, reference="t-r3-spent", actor=actor)
    before = ledger_snapshot()
    with pytest.raises(InsufficientFunds):
        journal_reverse(journal=original, actor=actor)
    assert ledger_snapshot() == before


def test_reversal_may_debit_a_frozen_wallet(wallet_factory, actor):
    a, b = wallet_factory(balance=100_000), wallet_factory(balance=0)
    original = transfer(source=a, destination=b, amount=30_000, reference="t-r4", actor=actor)
    wallet_freeze(account=b, actor=actor, reason="fraud")
    journal_reverse(journal=original, actor=actor)
    b.refresh_from_db()
    assert b.balance == 0
