import pytest

from tests.wallets.conftest import ledger_snapshot, postings_of
from wallets.exceptions import InvalidAmount, LimitExceeded, UnbalancedJournal, WalletUnavailable
from wallets.services import (
    PostingSpec,
    journal_post,
    provider_fee_book,
    system_account,
    wallet_close,
    wallet_credit_from_provider,
    wallet_freeze,
)


def test_n_posting_journal(wallet_factory, actor):
    # given
    wallet = wallet_factory(balance=10_000)
    clearing, fees = system_account("monnify_clearing"), system_account("fees_revenue")
    # when: a 50,000 deposit of which 500 is a fee
    journal = journal_post(reference="dep-1", kind="deposit", actor=actor, narration="card deposit",
                           metadata={"provider_ref": "MNFY|1"},
                           postings=[PostingSpec(clearing, -50_000), PostingSpec(wallet, 49_500),
                                     PostingSpec(fees, 500)])
    # then
    wallet.refresh_from_db()
    assert wallet.balance == 59_500
    assert postings_of(journal) == [(clearing.id, -50_000, None), (fees.id, 500, None), (wallet.id, 49_500, 59_500)]
    journal.refresh_from_db()
    assert journal.metadata == {"provider_ref": "MNFY|1"}
    # system accounts keep no cached balance: it is derived from postings
    clearing.refresh_from_db()
    assert clearing.balance == 0


def test_wallet_credited_twice_in_one_journal_gets_running_balance_after(wallet_factory, actor):
    wallet = wallet_factory(balance=1_000)
    clearing = system_account("monnify_clearing")
    journal = journal_post(reference="dep-2", kind="deposit", actor=actor,
                           postings=[PostingSpec(clearing, -300), PostingSpec(wallet, 100), PostingSpec(wallet, 200)])
    assert postings_of(journal)[1:] == [(wallet.id, 100, 1_100), (wallet.id, 200, 1_300)]


@pytest.mark.parametrize("amounts, error", [
    ((-100, 99), UnbalancedJournal),
    ((-100,), UnbalancedJournal),
    ((0, 0), InvalidAmount),
])
def test_bad_journals_are_refused(wallet_factory, actor, amounts, error):
    wallet = wallet_factory(balance=1_000)
    clearing = system_account("monnify_clearing")
    accounts = [clearing, wallet]
    before = ledger_snapshot()
    with pytest.raises(error):
        journal_post(reference="bad", kind="adjustment", actor=actor,
                     postings=[PostingSpec(accounts[i], a) for i, a in enumerate(amounts)])
    assert ledger_snapshot() == before


def test_deposit_above_maximum_balance_is_refused(wallet_factory, actor):
    # given: tier 0 wallets hold at most 5,000,000 kobo
    wallet = wallet_factory(tier=0, balance=4_000_000)
    before = ledger_snapshot()
    # when / then
    with pytest.raises(LimitExceeded) as info:
        wallet_credit_from_provider(wallet=wallet, amount=1_000_001, reference="dep-max", actor=actor)
    assert info.value.code == "limit_exceeded"
    assert ledger_snapshot() == before


def test_deposit_to_closed_wallet_is_refused_and_to_frozen_accepted(wallet_factory, actor):
    closed, frozen = wallet_factory(), wallet_factory()
    wallet_close(account=closed, actor=actor)
    wallet_freeze(account=frozen, actor=actor)
    before = ledger_snapshot()
    with pytest.raises(WalletUnavailable):
        wallet_credit_from_provider(wallet=closed, amount=100, reference="dep-closed", actor=actor)
    assert ledger_snapshot() == before
    wallet_credit_from_provider(wallet=frozen, amount=100, reference="dep-frozen", actor=actor)
    frozen.refresh_from_db()
    assert frozen.balance == 100


def test_debit_through_journal_post_checks_funds(wallet_factory, actor):
    wallet = wallet_factory(balance=1_000)
    before = ledger_snapshot()
    from wallets.exceptions import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        journal_post(reference="wd", kind="withdrawal", actor=actor,
                     postings=[PostingSpec(wallet, -1_001),
                               PostingSpec(system_account("withdrawals_in_flight"), 1_001)])
    assert ledger_snapshot() == before


def test_provider_fee_is_booked_once_between_system_accounts(db, actor):
    # given
    clearing, expense = system_account("monnify_clearing"), system_account("provider_fees")
    # when: booked twice under one reference
    first = provider_fee_book(currency="NGN", fee=2_500, reference="monnify:fee:txn:T1", actor=actor)
    again = provider_fee_book(currency="NGN", fee=2_500, reference="monnify:fee:txn:T1", actor=actor)
    # then: one journal, Monnify holds 2,500 kobo less of ours, the expense grows by as much
    assert again.id == first.id and again.replayed and first.kind == "provider_fee"
    assert postings_of(first) == [(clearing.id, 2_500, None), (expense.id, -2_500, None)]
    # and: nothing for a zero fee, a refusal (changing nothing) for a negative one
    before = ledger_snapshot()
    assert provider_fee_book(currency="NGN", fee=0, reference="monnify:fee:txn:T2", actor=actor) is None
    with pytest.raises(InvalidAmount):
        provider_fee_book(currency="NGN", fee=-1, reference="monnify:fee:txn:T3", actor=actor)
    assert ledger_snapshot() == before
