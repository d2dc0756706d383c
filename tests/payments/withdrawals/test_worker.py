"""With a real Celery worker subprocess: the normal flow through the broker, and the worker
SIGKILLed in the middle of submitting (no double payout, nothing stuck)."""

from __future__ import annotations

import pytest

from payments.models import Withdrawal, WithdrawalState
from tests.factories import make_wallet
from tests.payments.conftest import wait_until
from wallets.models import Hold, HoldStatus
from wallets.selectors import ledger_integrity_check

from .conftest import MONNIFY_TRANSFER_FEE, balances, create, sandbox_transfer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

S = WithdrawalState


def _wait(worker, condition, timeout: float) -> None:
    try:
        wait_until(condition, timeout=timeout, interval=0.1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{worker.output()[-3000:]}")


def _state(w: Withdrawal) -> str:
    return Withdrawal.objects.values_list("state", flat=True).get(pk=w.pk)


def test_worker_submits_what_the_request_committed(worker_process, wd, control):
    # given: a running worker
    worker = worker_process()
    wallet = make_wallet(balance=10_000_000)
    before = balances(wallet)
    # when: three withdrawals are accepted (their submit tasks are enqueued on commit)
    created = [create(wallet, 100_000 * (i + 1), account=f"012345678{i}") for i in range(3)]
    # then
    _wait(worker, lambda: all(_state(w) == S.SUCCEEDED for w in created), timeout=30)
    total = sum(w.total for w in created)
    assert balances(wallet) == {"balance": before["balance"] - total, "held": 0,
                                "clearing": (before["clearing"] + sum(w.amount for w in created)
                                             + 3 * MONNIFY_TRANSFER_FEE),
                                "fees": before["fees"] + sum(w.fee for w in created),
                                "provider_fees": before["provider_fees"] - 3 * MONNIFY_TRANSFER_FEE}
    assert all(sandbox_transfer(control, w.reference)["initiate_calls"] == 1 for w in created), worker.output()


def test_worker_killed_mid_submit_pays_once_and_nothing_is_stuck(worker_process, wd, control):
    # given: Monnify does the transfer and then hangs (the worker is stuck waiting for the answer)
    control.config(api_timeout_s=30, api_timeout_after_commit=True,
                   faults={"api_timeout_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    worker = worker_process(env={"MONNIFY_READ_TIMEOUT": "25"})
    wallet = make_wallet(balance=10_000_000)
    before = balances(wallet)
    w = create(wallet, 500_000)
    _wait(worker, lambda: sandbox_transfer(control, w.reference) is not None and _state(w) == S.SUBMITTED,
          timeout=20)
    # when: the worker dies in the middle of the call
    worker.kill()
    assert _state(w) == S.SUBMITTED and balances(wallet)["held"] == w.total
    # and: Monnify heals; a fresh worker with beat runs the pollers
    control.config(faults={"api_timeout_rate": 0.0, "api_fault_paths": []})
    healer = worker_process(beat=True)
    # then: resolved by asking about the same reference; paid once, captured once
    _wait(healer, lambda: _state(w) == S.SUCCEEDED, timeout=30)
    transfer = sandbox_transfer(control, w.reference)
    assert transfer["initiate_calls"] == 1 and transfer["status"] == "SUCCESS"
    assert len(control.get("/sandbox/disbursements")) == 1
    assert balances(wallet) == {"balance": before["balance"] - w.total, "held": 0,
                                "clearing": before["clearing"] + w.amount + MONNIFY_TRANSFER_FEE,
                                "fees": before["fees"] + w.fee,
                                "provider_fees": before["provider_fees"] - MONNIFY_TRANSFER_FEE}
    assert Hold.objects.get(reference=w.hold_reference).status == HoldStatus.CAPTURED
    assert ledger_integrity_check().ok
