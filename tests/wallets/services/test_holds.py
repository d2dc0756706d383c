import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.wallets.conftest import ledger_snapshot, postings_of
from wallets.exceptions import (
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    LimitExceeded,
    WalletUnavailable,
)
from wallets.models import Hold, HoldStatus, LedgerAccount
from wallets.services import (
    PostingSpec,
    hold_capture,
    hold_expire,
    hold_place,
    hold_release,
    holds_expire_due,
    system_account,
    wallet_freeze,
)


def _later(minutes=30):
    return timezone.now() + dt.timedelta(minutes=minutes)


@pytest.fixture
def wallet(wallet_factory):
    return wallet_factory(balance=100_000)


def _state(account):
    account.refresh_from_db()
    return account.balance, account.held, account.available


def test_place_reserves_available_funds(wallet, actor):
    # when
    hold = hold_place(account=wallet, amount=40_000, reference="h-1", expires_at=_later(), actor=actor)
    # then
    assert (hold.status, hold.amount, hold.account_id) == (HoldStatus.PENDING, 40_000, wallet.id)
    assert _state(wallet) == (100_000, 40_000, 60_000)
    assert wallet.outflow_total == 40_000
    assert AuditEvent.objects.filter(action="ledger.hold.placed", references=["h-1"]).count() == 1


def test_place_is_idempotent_by_reference(wallet, actor):
    first = hold_place(account=wallet, amount=40_000, reference="h-1", expires_at=_later(), actor=actor)
    again = hold_place(account=wallet, amount=40_000, reference="h-1", expires_at=_later(), actor=actor)
    assert again.pk == first.pk
    assert _state(wallet) == (100_000, 40_000, 60_000)
    with pytest.raises(IdempotencyConflict):
        hold_place(account=wallet, amount=1, reference="h-1", expires_at=_later(), actor=actor)


@pytest.mark.parametrize("setup, error", [
    ("too_much", InsufficientFunds),
    ("frozen", WalletUnavailable),
    ("limit", LimitExceeded),
])
def test_place_refusals_change_nothing(wallet_factory, actor, setup, error):
    account = wallet_factory(tier=1 if setup == "limit" else 3, balance=6_000_000)
    amount = 6_000_001 if setup == "too_much" else 5_000_001 if setup == "limit" else 1_000
    if setup == "frozen":
        wallet_freeze(account=account, actor=actor)
    before = ledger_snapshot()
    with pytest.raises(error):
        hold_place(account=account, amount=amount, reference="h-refused", expires_at=_later(), actor=actor)
    assert ledger_snapshot() == before


def test_second_hold_sees_only_available(wallet, actor):
    hold_place(account=wallet, amount=60_000, reference="h-a", expires_at=_later(), actor=actor)
    before = ledger_snapshot()
    with pytest.raises(InsufficientFunds):
        hold_place(account=wallet, amount=40_001, reference="h-b", expires_at=_later(), actor=actor)
    assert ledger_snapshot() == before


def test_full_capture_to_withdrawals_in_flight_and_fees(wallet, actor):
    # given
    hold = hold_place(account=wallet, amount=51_000, reference="h-wd", expires_at=_later(), actor=actor)
    in_flight, fees = system_account("withdrawals_in_flight"), system_account("fees_revenue")
    # when
    journal = hold_capture(hold=hold, reference="wd-1", actor=actor, kind="withdrawal",
                           credits=[PostingSpec(in_flight, 50_000), PostingSpec(fees, 1_000)])
    # then
    assert _state(wallet) == (49_000, 0, 49_000)
    assert postings_of(journal) == [(in_flight.id, 50_000, None), (fees.id, 1_000, None), (wallet.id, -51_000, 49_000)]
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount, hold.journal_id) == (HoldStatus.CAPTURED, 51_000, journal.id)
    assert journal.metadata == {"hold": "h-wd"}


def test_partial_capture_releases_the_rest(wallet, wallet_factory, actor):
    # given
    merchant = wallet_factory()
    hold = hold_place(account=wallet, amount=40_000, reference="h-p", expires_at=_later(), actor=actor)
    # when
    journal = hold_capture(hold=hold, reference="cap-p", destination=merchant, amount=25_000, actor=actor)
    # then
    assert _state(wallet) == (75_000, 0, 75_000)
    assert wallet.outflow_total == 25_000  # the uncaptured 15,000 is given back to the daily counter
    assert _state(merchant) == (25_000, 0, 25_000)
    assert postings_of(journal) == [(wallet.id, -25_000, 75_000), (merchant.id, 25_000, 25_000)]


def test_capture_is_idempotent_and_then_final(wallet, wallet_factory, actor):
    merchant = wallet_factory()
    hold = hold_place(account=wallet, amount=40_000, reference="h-i", expires_at=_later(), actor=actor)
    first = hold_capture(hold=hold, reference="cap-i", destination=merchant, actor=actor)
    again = hold_capture(hold=hold, reference="cap-i", destination=merchant, actor=actor)
    assert again.id == first.id
    assert _state(wallet) == (60_000, 0, 60_000)
    before = ledger_snapshot()
    with pytest.raises(HoldNotPending):
        hold_capture(hold=hold, reference="cap-other", destination=merchant, actor=actor)
    with pytest.raises(HoldNotPending):
        hold_release(hold=hold, actor=actor)
    assert ledger_snapshot() == before


def test_capture_more_than_held_is_refused(wallet, wallet_factory, actor):
    merchant = wallet_factory()
    hold = hold_place(account=wallet, amount=40_000, reference="h-m", expires_at=_later(), actor=actor)
    before = ledger_snapshot()
    with pytest.raises(InvalidAmount):
        hold_capture(hold=hold, reference="cap-m", destination=merchant, amount=40_001, actor=actor)
    assert ledger_snapshot() == before


def test_capture_completes_on_a_frozen_wallet(wallet, actor):
    hold = hold_place(account=wallet, amount=10_000, reference="h-f", expires_at=_later(), actor=actor)
    wallet_freeze(account=wallet, actor=actor)
    hold_capture(hold=hold, reference="cap-f", destination=system_account("withdrawals_in_flight"), actor=actor)
    assert _state(wallet) == (90_000, 0, 90_000)


def test_release_gives_funds_back_and_is_idempotent(wallet, actor):
    hold = hold_place(account=wallet, amount=40_000, reference="h-r", expires_at=_later(), actor=actor)
    released = hold_release(hold=hold, actor=actor, reason="provider refused")
    assert released.status == HoldStatus.RELEASED
    assert _state(wallet) == (100_000, 0, 100_000)
    assert wallet.outflow_total == 0
    before = ledger_snapshot()
    hold_release(hold=hold, actor=actor)
    assert ledger_snapshot() == before


def test_expire_only_when_due(wallet, actor):
    # given
    hold = hold_place(account=wallet, amount=40_000, reference="h-e", expires_at=_later(5), actor=actor)
    before = ledger_snapshot()
    # when / then: not due yet
    with pytest.raises(LedgerError) as info:
        hold_expire(hold=hold)
    assert info.value.code == "hold_not_due"
    assert ledger_snapshot() == before
    # when: due
    expired = hold_expire(hold=hold, now=_later(6))
    # then
    assert expired.status == HoldStatus.EXPIRED
    assert _state(wallet) == (100_000, 0, 100_000)
    with pytest.raises(HoldNotPending):
        hold_capture(hold=hold, reference="cap-late", destination=system_account("suspense"), actor=actor)


def test_holds_expire_due_sweeps_only_due_holds(wallet, actor):
    hold_place(account=wallet, amount=10_000, reference="h-d1", expires_at=_later(1), actor=actor)
    hold_place(account=wallet, amount=20_000, reference="h-d2", expires_at=_later(2), actor=actor)
    hold_place(account=wallet, amount=30_000, reference="h-d3", expires_at=_later(60), actor=actor)
    assert holds_expire_due(now=_later(3)) == 2
    assert _state(wallet) == (100_000, 30_000, 70_000)
    assert list(Hold.objects.filter(account=wallet).order_by("reference").values_list("status", flat=True)) == [
        "expired", "expired", "pending"]
    assert LedgerAccount.objects.get(pk=wallet.pk).held == 30_000
