"""Chaos: 200 withdrawals against a sandbox answering a seeded mix of SUCCESS, FAILED, PENDING,
insufficient merchant balance, timeouts and 500s after doing the work; then healing. And races:
concurrent withdrawals and transfers from one wallet never overdraw it."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection

from audit.services import Actor
from payments.models import Withdrawal, WithdrawalState
from payments.services import withdrawals as service
from tests.factories import make_wallet
from wallets.exceptions import LedgerError
from wallets.models import Hold, HoldStatus, Journal, SystemCode
from wallets.selectors import account_balance, ledger_integrity_check
from wallets.services import system_account, transfer

from .conftest import create

S = WithdrawalState
FINAL = {S.SUCCEEDED, S.FAILED, S.REVERSED}


def _system(code) -> int:
    return account_balance(account=system_account(code)).balance


@pytest.mark.slow
@pytest.mark.django_db
def test_200_withdrawals_through_faults_end_final_paid_once_and_balanced(wd, control):
    # given: 8 customers, a sandbox that fails a quarter of the disbursement calls after doing the work
    rng = random.Random(20260101)
    wallets = [make_wallet(balance=20_000_000) for _ in range(8)]
    funded = {w.pk: 20_000_000 for w in wallets}
    clearing0, fees0 = _system(SystemCode.MONNIFY_CLEARING), _system(SystemCode.FEES_REVENUE)
    provider_fees0 = _system(SystemCode.PROVIDER_FEES)
    control.config(seed=7, d07_window_s=0, api_timeout_s=0.8, wallet_balance="150000.00",
                   faults={"api_error_after_commit_rate": 0.12, "api_timeout_rate": 0.08, "api_error_rate": 0.05,
                           "api_fault_paths": ["/api/v2/disbursements"]})
    # when: 200 withdrawals, each sent while Monnify answers one of SUCCESS / FAILED / PENDING
    created: list[Withdrawal] = []
    for i in range(200):
        control.config(disbursement_outcome=rng.choices(["SUCCESS", "FAILED", "PENDING"], [5, 2, 3])[0])
        wallet = wallets[i % len(wallets)]
        w = create(wallet, rng.randrange(1_000, 300_000), account=f"{1_000_000_000 + i}")
        created.append(service.withdrawal_submit(withdrawal_id=w.pk))
    states_under_fire = Counter(w.state for w in created)
    # and: Monnify heals, pending transfers settle (some are later reversed), the poller runs
    control.config(faults={"api_error_after_commit_rate": 0.0, "api_timeout_rate": 0.0, "api_error_rate": 0.0})
    for transfer_ in control.get("/sandbox/disbursements"):
        if transfer_["status"] == "PENDING":
            control.post(f"/sandbox/disbursements/{transfer_['reference']}/resolve",
                         {"status": rng.choice(["SUCCESS", "SUCCESS", "FAILED"])})
    deadline = time.monotonic() + 90
    while Withdrawal.objects.exclude(state__in=FINAL).exists():
        assert time.monotonic() < deadline, Counter(Withdrawal.objects.values_list("state", flat=True))
        service.withdrawals_poll(limit=500)
    reversed_refs = [t["reference"] for t in control.get("/sandbox/disbursements") if t["status"] == "SUCCESS"][:5]
    for reference in reversed_refs:
        control.post(f"/sandbox/disbursements/{reference}/resolve", {"status": "REVERSED"})
        w = Withdrawal.objects.get(reference=reference)
        service.withdrawal_sync(withdrawal_id=w.pk)
        service.withdrawal_sync(withdrawal_id=w.pk)

    # then: every withdrawal is final and agrees with Monnify
    print("states while faulty:", dict(states_under_fire))
    final = {w.reference: w for w in Withdrawal.objects.all()}
    print("final states:", dict(Counter(w.state for w in final.values())))
    assert len(final) == 200 and {w.state for w in final.values()} <= FINAL
    at_monnify = {t["reference"]: t for t in control.get("/sandbox/disbursements")}
    assert all(t["initiate_calls"] == 1 for t in at_monnify.values()), "a reference was initiated twice"
    expected_status = {S.SUCCEEDED: "SUCCESS", S.REVERSED: "REVERSED"}
    for reference, w in final.items():
        transfer_ = at_monnify.get(reference)
        if w.state == S.FAILED:
            assert transfer_ is None or transfer_["status"] == "FAILED", (reference, transfer_)
        else:
            assert transfer_["status"] == expected_status[w.state], (reference, w.state, transfer_)
    # every FAILED released once, every SUCCESS captured once
    holds = {h.reference: h for h in Hold.objects.filter(reference__startswith="withdrawal:")}
    captures = Counter(Journal.objects.filter(reference__endswith=":capture", reference__startswith="withdrawal:")
                       .values_list("reference", flat=True))
    for w in final.values():
        hold = holds[w.hold_reference]
        if w.state == S.FAILED:
            assert hold.status == HoldStatus.RELEASED and captures[service.capture_reference_for(w.reference)] == 0
        else:
            assert hold.status == HoldStatus.CAPTURED and captures[service.capture_reference_for(w.reference)] == 1
    assert Journal.objects.filter(reference__endswith=":reversal").count() == len(reversed_refs)
    # balances equal the model, to the kobo
    paid = [w for w in final.values() if w.state == S.SUCCEEDED]
    for wallet in wallets:
        expected = funded[wallet.pk] - sum(w.total for w in paid if w.wallet_id == wallet.pk)
        assert account_balance(account=wallet).balance == expected and account_balance(account=wallet).held == 0
    # Monnify's own fee on each paid transfer is booked (clearing +fee, provider fees -fee); reversed
    # transfers gave it back with the amount
    provider_fees = [w.provider_fee for w in paid]
    assert all(fee and fee > 0 for fee in provider_fees)
    assert _system(SystemCode.MONNIFY_CLEARING) == clearing0 + sum(w.amount for w in paid) + sum(provider_fees)
    assert _system(SystemCode.PROVIDER_FEES) == provider_fees0 - sum(provider_fees)
    assert _system(SystemCode.FEES_REVENUE) == fees0 + sum(w.fee for w in paid)
    assert ledger_integrity_check().ok
    assert states_under_fire[S.UNKNOWN] > 0 and Counter(w.state for w in final.values())[S.FAILED] > 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_and_transfers_never_overdraw_one_wallet(wd, control):
    # given: one wallet with N50,000 and 24 concurrent requests of up to N5,000 each
    wallet = make_wallet(balance=5_000_000)
    others = [make_wallet() for _ in range(3)]
    start = threading.Barrier(24)
    accepted: list[tuple[str, int]] = []
    lock = threading.Lock()

    def withdraw(i: int) -> None:
        try:
            start.wait()
            w = create(wallet, 400_000 + i * 1_000, account=f"{2_000_000_000 + i}")
            with lock:
                accepted.append(("withdrawal", w.total))
        except LedgerError:
            pass
        finally:
            connection.close()

    def send(i: int) -> None:
        try:
            start.wait()
            transfer(source=wallet, destination=others[i % 3], amount=450_000, reference=f"race:{uuid.uuid4()}",
                     actor=Actor.system("tests"))
            with lock:
                accepted.append(("transfer", 450_000))
        except LedgerError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw if i % 2 else send, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then: what was accepted fits in the balance, exactly
    after = account_balance(account=wallet)
    transferred = sum(amount for kind, amount in accepted if kind == "transfer")
    held = sum(amount for kind, amount in accepted if kind == "withdrawal")
    assert after.balance == 5_000_000 - transferred and after.held == held
    assert after.available >= 0 and transferred + held <= 5_000_000
    assert Withdrawal.objects.filter(state=S.FUNDS_HELD).count() == sum(1 for k, _ in accepted if k == "withdrawal")
    assert Withdrawal.objects.exclude(state__in=[S.FUNDS_HELD, S.FAILED]).count() == 0
    assert len(accepted) < 24  # the race was real: some were refused
    assert ledger_integrity_check().ok
