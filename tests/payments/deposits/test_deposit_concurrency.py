import threading

import pytest
from django.db import connection
from django.test import Client

from payments.models import Deposit, DepositState
from payments.services import deposits as deposit_services
from wallets.models import Journal, Posting
from webhooks import services as inbox
from webhooks.models import WebhookEvent

from .conftest import wallet_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _threads(n, target):
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            value = target()
        except Exception as exc:  # recorded, asserted below
            value = exc
        finally:
            connection.close()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_one_paid_webhook_50_times_concurrently_plus_50_replays_credits_once(flow, customer):
    # given a paid checkout and Monnify's webhook for it
    deposit = deposit_services.deposit_checkout_create(user=customer, wallet=wallet_of(customer), amount=420_000)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    call = flow.receiver.wait_for(1)[0]

    def deliver():
        return Client().post("/webhooks/monnify", data=call["body"], content_type="application/json",
                             HTTP_MONNIFY_SIGNATURE=call["headers"]["monnify-signature"]).status_code

    # when: 50 deliveries at once, then 50 replays, and 10 workers processing at once
    codes = _threads(50, deliver) + [deliver() for _ in range(50)]
    event_id = WebhookEvent.objects.get().pk
    outcomes = _threads(10, lambda: inbox.webhook_process(event_id=event_id))
    verifies = _threads(10, lambda: deposit_services.deposit_verify(deposit_id=deposit.pk).state)
    # then
    assert codes == [200] * 100
    assert WebhookEvent.objects.get().deliveries == 100
    assert outcomes.count("processed") == 1 and outcomes.count(None) == 9
    assert verifies == [DepositState.CREDITED] * 10
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.CREDITED
    assert list(Posting.objects.filter(account_id=wallet_of(customer).id).values_list("amount", flat=True)) == [420_000]
    assert Journal.objects.filter(reference__startswith="monnify:txn:").count() == 1
