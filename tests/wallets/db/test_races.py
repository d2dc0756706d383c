"""Races with real threads, each on its own PostgreSQL connection, and real commits."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from audit.services import Actor
from tests.factories import make_wallet
from wallets.exceptions import InsufficientFunds, LimitExceeded
from wallets.models import Journal, LedgerAccount, Posting
from wallets.selectors import ledger_integrity_check
from wallets.services import PostingSpec, hold_place, journal_post, system_account, transfer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("ledger_races")]

ACTOR = Actor.system("race-tests")


def run_concurrently(workers: int, work) -> list[tuple[str, object]]:
    """Run work(i) in `workers` threads released together by a barrier; each thread closes its
    own database connection. Returns ("ok", result) or ("error", exception) per worker."""
    barrier = threading.Barrier(workers)
    results: list[tuple[str, object]] = [("missing", None)] * workers

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", work(i))
        except Exception as exc:  # collected and asserted on by the test
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _kinds(results) -> Counter:
    return Counter("ok" if status == "ok" else type(value).__name__ for status, value in results)


def test_50_concurrent_debits_of_a_tenth_of_the_balance():
    # given
    wallet = make_wallet(balance=100_000)
    in_flight = system_account("withdrawals_in_flight")
    # when
    results = run_concurrently(50, lambda i: journal_post(
        reference=f"race-debit-{i}", kind="withdrawal", actor=ACTOR,
        postings=[PostingSpec(wallet, -10_000), PostingSpec(in_flight, 10_000)]))
    # then
    assert _kinds(results) == {"ok": 10, "InsufficientFunds": 40}
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (0, 0)
    assert sorted(Posting.objects.filter(account=wallet, amount=-10_000).values_list("balance_after", flat=True)) == [
        0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000]
    assert ledger_integrity_check().ok


def test_opposite_transfers_from_16_workers_do_not_deadlock_and_conserve_money():
    # given
    a, b = make_wallet(balance=1_000_000), make_wallet(balance=1_000_000)

    def work(i: int) -> int:
        for n in range(10):
            source, destination = (a, b) if (i + n) % 2 else (b, a)
            transfer(source=source, destination=destination, amount=1_000 + i, reference=f"race-ab-{i}-{n}",
                     actor=ACTOR)
        return i

    # when
    results = run_concurrently(16, work)
    # then: no deadlock (or any other) error, and nothing created or lost
    assert _kinds(results) == {"ok": 16}
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.balance + b.balance == 2_000_000
    moved_to_a = sum(Posting.objects.filter(account=a).exclude(journal__kind="deposit")
                     .values_list("amount", flat=True))
    assert a.balance == 1_000_000 + moved_to_a
    assert Journal.objects.filter(reference__startswith="race-ab-").count() == 160
    assert ledger_integrity_check().ok


def test_daily_limit_holds_under_concurrency():
    # given: tier 1 may send 5,000,000 kobo a day; the wallet holds 20,000,000
    source = make_wallet(tier=1, balance=20_000_000)
    destination = make_wallet(tier=3)
    # when: 20 concurrent transfers of 1,000,000 (some as holds, which count too)
    def work(i: int):
        if i % 4 == 0:
            import datetime as dt

            from django.utils import timezone
            return hold_place(account=source, amount=1_000_000, reference=f"race-limit-hold-{i}",
                              expires_at=timezone.now() + dt.timedelta(hours=1), actor=ACTOR)
        return transfer(source=source, destination=destination, amount=1_000_000, reference=f"race-limit-{i}",
                        actor=ACTOR)

    results = run_concurrently(20, work)
    # then: exactly five pass
    kinds = _kinds(results)
    assert kinds == {"ok": 5, "LimitExceeded": 15}
    source.refresh_from_db()
    assert source.outflow_total == 5_000_000
    assert source.balance - source.held == 15_000_000
    assert all(isinstance(v, LimitExceeded) for s, v in results if s == "error")
    assert ledger_integrity_check().ok


def test_one_reference_from_10_threads_moves_money_once():
    # given
    a, b = make_wallet(balance=100_000), make_wallet()
    # when
    results = run_concurrently(10, lambda i: transfer(source=a, destination=b, amount=25_000,
                                                      reference="race-same-ref", actor=ACTOR))
    # then
    assert _kinds(results) == {"ok": 10}
    assert len({journal.id for _, journal in results}) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (75_000, 25_000)
    assert Journal.objects.filter(reference="race-same-ref").count() == 1
    assert ledger_integrity_check().ok


def test_same_reference_twice_in_a_row_with_real_commits():
    a, b = make_wallet(balance=100_000), make_wallet()
    first = transfer(source=a, destination=b, amount=1_000, reference="seq-ref", actor=ACTOR)
    second = transfer(source=a, destination=b, amount=1_000, reference="seq-ref", actor=ACTOR)
    assert first.id == second.id
    assert LedgerAccount.objects.get(pk=a.pk).balance == 99_000


def test_concurrent_holds_never_overdraw_available():
    import datetime as dt

    from django.utils import timezone

    wallet = make_wallet(balance=100_000)
    results = run_concurrently(20, lambda i: hold_place(account=wallet, amount=30_000, reference=f"race-hold-{i}",
                                                        expires_at=timezone.now() + dt.timedelta(hours=1),
                                                        actor=ACTOR))
    assert _kinds(results) == {"ok": 3, "InsufficientFunds": 17}
    assert all(isinstance(v, InsufficientFunds) for s, v in results if s == "error")
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (100_000, 90_000)
    assert ledger_integrity_check().ok
