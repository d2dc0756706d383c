"""All of Monnify's bad days at once, over 100 deposits: duplicated, shuffled, delayed and dropped
webhooks, status answers that disagree with the webhook, API 500s before and after doing the work,
and timeouts. Every truly paid deposit must be credited exactly once, for exactly what Monnify
confirms, and nothing else; everything is final within a bounded time after the faults stop."""

import random
import time
from decimal import Decimal

import pytest

from cozonpay.users.models import User
from payments.clients.monnify.errors import MonnifyError
from payments.exceptions import ProviderUnavailable
from payments.models import DEPOSIT_FINAL_STATES, Deposit, DepositState
from payments.services import deposits as deposit_services
from payments.services.deposit_accounts import deposit_account_open, deposit_account_request_for_user
from wallets.integrity import ledger_integrity_check
from wallets.models import Journal, JournalKind, Posting

from ...users.conftest import make_user
from .conftest import wallet_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FAULTS = {
    "webhook_duplicates": 3,
    "webhook_shuffle": True,
    "webhook_delay_ms": [0, 30],
    "webhook_drop_rate": 0.2,
    "status_disagrees_rate": 0.1,
    "status_disagrees_for_s": 1.0,
    "api_error_rate": 0.1,
    "api_error_after_commit_rate": 0.1,
    "api_timeout_rate": 0.03,
    "api_fault_paths": ["/api/v1/merchant", "/api/v2/transactions", "/api/v2/merchant", "/api/v1/transactions",
                        "/api/v2/bank-transfer"],
}
NO_FAULTS = {k: (0.0 if isinstance(v, float) else v) for k, v in FAULTS.items()} | {
    "webhook_duplicates": 0, "webhook_shuffle": False, "webhook_delay_ms": [0, 0]}


def _poll_once(flow) -> None:
    flow.forward()
    for deposit_id in deposit_services.deposits_due_for_check():
        try:
            deposit_services.deposit_verify(deposit_id=deposit_id)
        except MonnifyError:
            pass
    try:
        deposit_services.deposits_discover_bank_transfers()
    except MonnifyError:
        pass


def test_100_deposits_under_every_fault_are_credited_exactly_once(flow, settings):
    # given: short timeouts, everything due at every poll, a seeded sandbox
    settings.PAYMENTS_POLL_INTERVAL_SECONDS = 0
    settings.MONNIFY_READ_TIMEOUT = 0.5
    flow.control.config(seed=20261121, api_timeout_s=1.0)
    rng = random.Random(7)
    customers = [make_user() for _ in range(10)]
    User.objects.filter(pk__in=[u.pk for u in customers]).update(kyc_tier=3)
    nubans = {}
    for user in customers:
        request = deposit_account_request_for_user(user_id=str(user.pk), bvn="22233344455", nin=None)
        nubans[user.pk] = deposit_account_open(request_id=request.pk)[0].account_number
    flow.control.config(faults=FAULTS)

    # when: 60 checkouts (paid, failed or abandoned) and 40 bank transfers
    for i in range(60):
        user = customers[i % 10]
        amount = rng.randrange(2_000, 500_000, 100)
        try:
            deposit = deposit_services.deposit_checkout_create(user=user, wallet=wallet_of(user), amount=amount)
        except ProviderUnavailable:
            continue  # the customer saw an error and paid nothing
        outcome = rng.choice(["PAID", "PAID", "PAID", "FAILED", "EXPIRED"])
        flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": outcome})
    for i in range(40):
        user = customers[i % 10]
        flow.control.post(f"/sandbox/reserved-accounts/{nubans[user.pk]}/payments",
                          {"amount": f"{rng.randrange(100, 9000)}.{rng.randrange(0, 100):02d}"})
    for _ in range(3):
        _poll_once(flow)

    # then: after the faults stop, everything becomes final within a bounded time
    flow.control.config(faults=NO_FAULTS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _poll_once(flow)
        pending = Deposit.objects.exclude(state__in=[*DEPOSIT_FINAL_STATES, DepositState.CREDITED,
                                                     DepositState.REFUND_PENDING])
        if not pending.exists():
            break
        time.sleep(0.2)
    assert not pending.exists(), list(pending.values_list("payment_reference", "state"))

    paid = {c["transactionReference"]: int(Decimal(c["amountPaid"]) * 100)
            for c in flow.control.get("/sandbox/collections") if c["status"] in ("PAID", "OVERPAID")}
    credited = {d.transaction_reference: d.amount_credited
                for d in Deposit.objects.filter(state=DepositState.CREDITED)}
    assert credited == paid  # every truly paid one, for exactly what Monnify confirms, and no other
    journals = Journal.objects.filter(kind=JournalKind.DEPOSIT)
    assert journals.count() == len(paid)
    assert sorted(journals.values_list("reference", flat=True)) == sorted(f"monnify:txn:{r}" for r in paid)
    total_in_wallets = sum(Posting.objects.filter(account__owner__in=customers).values_list("amount", flat=True))
    assert total_in_wallets == sum(paid.values())
    assert ledger_integrity_check().ok
    # and the faults really happened
    statuses = [r["status"] for r in flow.control.get("/sandbox/requests")]
    assert statuses.count(500) >= 5
    assert len(paid) >= 50
    webhooks = flow.control.get("/sandbox/webhooks")
    assert any(not w["delivered"] for w in webhooks)  # dropped
    assert len(flow.receiver.calls) > len([w for w in webhooks if w["delivered"]])  # duplicated
