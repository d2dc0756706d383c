import pytest

from audit.models import AuditEvent
from tests.wallets.conftest import ledger_snapshot, postings_of
from wallets.exceptions import (
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LimitExceeded,
    SelfTransfer,
    WalletUnavailable,
)
from wallets.models import AccountKind, LedgerAccount
from wallets.services import system_account, transfer, wallet_close, wallet_freeze


@pytest.fixture
def pair(wallet_factory):
    return wallet_factory(balance=100_000), wallet_factory(balance=5_000)


def test_transfer_moves_exact_amounts_with_balance_after(pair, actor):
    # given
    source, destination = pair
    # when
    journal = transfer(source=source, destination=destination, amount=30_000, reference="t-1", narration="rent",
                       actor=actor)
    # then
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.balance, source.held, destination.balance) == (70_000, 0, 35_000)
    assert journal.kind == "transfer" and journal.reference == "t-1" and journal.narration == "rent"
    assert postings_of(journal) == [(source.id, -30_000, 70_000), (destination.id, 30_000, 35_000)]
    audit = AuditEvent.objects.get(action="ledger.journal.posted", references=["t-1"])
    assert audit.subject_id == str(journal.public_id)
    assert audit.payload["postings"] == [[str(source.public_id), -30_000], [str(destination.public_id), 30_000]]


def test_transfer_with_fee_credits_fees_revenue(pair, actor):
    # given
    source, destination = pair
    fees = system_account("fees_revenue")
    # when
    journal = transfer(source=source, destination=destination, amount=30_000, fee=1_000, reference="t-fee",
                       actor=actor)
    # then
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.balance, destination.balance) == (69_000, 35_000)
    assert sorted(postings_of(journal)) == sorted([
        (source.id, -30_000, 70_000), (source.id, -1_000, 69_000), (destination.id, 30_000, 35_000),
        (fees.id, 1_000, None),
    ])
    assert source.outflow_total == 31_000


def test_transfer_of_whole_balance_leaves_zero(pair, actor):
    source, destination = pair
    transfer(source=source, destination=destination, amount=100_000, reference="t-all", actor=actor)
    source.refresh_from_db()
    assert source.balance == 0


def test_same_reference_twice_moves_money_once(pair, actor):
    # given
    source, destination = pair
    first = transfer(source=source, destination=destination, amount=10_000, reference="t-dup", actor=actor)
    # when
    again = transfer(source=source, destination=destination, amount=10_000, reference="t-dup", actor=actor)
    # then
    source.refresh_from_db()
    assert again.id == first.id and again.replayed
    assert source.balance == 90_000
    assert source.postings.filter(journal__reference="t-dup").count() == 1


def test_same_reference_different_content_is_a_conflict(pair, actor):
    # given
    source, destination = pair
    transfer(source=source, destination=destination, amount=10_000, reference="t-x", actor=actor)
    before = ledger_snapshot()
    # when / then
    with pytest.raises(IdempotencyConflict):
        transfer(source=source, destination=destination, amount=20_000, reference="t-x", actor=actor)
    assert ledger_snapshot() == before


def _refused(exc_type, **kwargs):
    before = ledger_snapshot()
    with pytest.raises(exc_type) as info:
        transfer(**kwargs)
    assert ledger_snapshot() == before
    return info.value


def test_insufficient_funds_changes_nothing(pair, actor):
    source, destination = pair
    error = _refused(InsufficientFunds, source=source, destination=destination, amount=100_001, reference="t-nsf",
                     actor=actor)
    assert error.code == "insufficient_funds" and error.http_status == 422


def test_fee_counts_towards_funds(pair, actor):
    source, destination = pair
    _refused(InsufficientFunds, source=source, destination=destination, amount=100_000, fee=1,
             reference="t-nsf-fee", actor=actor)


def test_frozen_source_is_refused_but_frozen_destination_receives(pair, actor):
    # given
    source, destination = pair
    wallet_freeze(account=source, actor=actor, reason="fraud check")
    # when / then
    error = _refused(WalletUnavailable, source=source, destination=destination, amount=1_000, reference="t-frz",
                     actor=actor)
    assert error.code == "wallet_unavailable"
    transfer(source=destination, destination=source, amount=1_000, reference="t-to-frozen", actor=actor)
    source.refresh_from_db()
    assert source.balance == 101_000


def test_closed_destination_is_refused(pair, wallet_factory, actor):
    source, _ = pair
    empty = wallet_factory()
    wallet_close(account=empty, actor=actor, reason="customer request")
    _refused(WalletUnavailable, source=source, destination=empty, amount=1_000, reference="t-closed", actor=actor)


def test_self_transfer_is_refused(pair, actor):
    source, _ = pair
    error = _refused(SelfTransfer, source=source, destination=source, amount=1_000, reference="t-self", actor=actor)
    assert error.code == "self_transfer"


def test_currency_mismatch_is_refused(pair, actor):
    source, _ = pair
    usd = LedgerAccount.objects.create(kind=AccountKind.CUSTOMER_WALLET, owner=source.owner, currency="USD")
    error = _refused(CurrencyMismatch, source=source, destination=usd, amount=1_000, reference="t-usd", actor=actor)
    assert error.code == "currency_mismatch"


@pytest.mark.parametrize("amount", [0, -5, 10.5, True, "100"])
def test_invalid_amounts_are_refused(pair, actor, amount):
    source, destination = pair
    _refused(InvalidAmount, source=source, destination=destination, amount=amount, reference="t-bad", actor=actor)


def test_transfer_to_system_account_is_refused(pair, actor):
    source, _ = pair
    _refused(WalletUnavailable, source=source, destination=system_account("suspense"), amount=1,
             reference="t-sys", actor=actor)


def test_single_limit_is_enforced(wallet_factory, actor):
    # given: tier 1 allows 5,000,000 kobo per transaction
    source = wallet_factory(tier=1, balance=6_000_000)
    destination = wallet_factory(tier=3)
    # when / then
    error = _refused(LimitExceeded, source=source, destination=destination, amount=5_000_001,
                     reference="t-single", actor=actor)
    assert error.fields == {"limit": ["single_max"]}
    transfer(source=source, destination=destination, amount=5_000_000, reference="t-single-ok", actor=actor)


def test_daily_limit_counts_the_day(wallet_factory, actor):
    # given: tier 1 allows 5,000,000 kobo per day
    source = wallet_factory(tier=1, balance=6_000_000)
    destination = wallet_factory(tier=3)
    transfer(source=source, destination=destination, amount=3_000_000, reference="t-d1", actor=actor)
    transfer(source=source, destination=destination, amount=2_000_000, reference="t-d2", actor=actor)
    # when / then
    error = _refused(LimitExceeded, source=source, destination=destination, amount=1, reference="t-d3", actor=actor)
    assert error.fields == {"limit": ["daily_max"]}


def test_daily_counter_restarts_on_a_new_day(wallet_factory, actor):
    # given: yesterday's outflow is at the limit
    source = wallet_factory(tier=1, balance=6_000_000)
    destination = wallet_factory(tier=3)
    LedgerAccount.objects.filter(pk=source.pk).update(outflow_day="2000-01-01", outflow_total=5_000_000)
    # when
    transfer(source=source, destination=destination, amount=5_000_000, reference="t-newday", actor=actor)
    # then
    source.refresh_from_db()
    assert source.outflow_total == 5_000_000 and str(source.outflow_day) != "2000-01-01"


def test_maximum_balance_of_destination_is_enforced(wallet_factory, actor):
    # given: tier 1 wallets hold at most 30,000,000 kobo
    source = wallet_factory(tier=3, balance=50_000_000)
    destination = wallet_factory(tier=1, balance=29_000_000)
    # when / then
    error = _refused(LimitExceeded, source=source, destination=destination, amount=1_000_001,
                     reference="t-max", actor=actor)
    assert error.fields == {"limit": ["balance_max"]}
    transfer(source=source, destination=destination, amount=1_000_000, reference="t-max-ok", actor=actor)
