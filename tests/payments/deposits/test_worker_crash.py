"""A worker killed with SIGKILL in the middle of verifying a deposit: nothing lost, nothing doubled.
The webhook row stays `processing` under a lease; when the lease expires the beat sweeper hands it
to the next worker, which verifies again and credits exactly once."""

import pytest

from payments.models import Deposit, DepositState
from payments.services import deposits as deposit_services
from wallets.models import Journal, Posting
from webhooks.models import WebhookEvent, WebhookStatus

from ...worker import wait_for
from .conftest import wallet_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_worker_sigkilled_mid_verification(flow, customer, worker_process):
    # given a paid checkout whose status query will hang (the worker will be stuck inside it)
    deposit = deposit_services.deposit_checkout_create(user=customer, wallet=wallet_of(customer), amount=180_000)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    flow.receiver.wait_for(1)
    flow.control.config(api_timeout_s=60, faults={"api_timeout_rate": 1.0, "api_fault_paths": ["/api/v2/transactions"]})
    call = flow.receiver.calls[0]
    response = flow.client.post("/webhooks/monnify", data=call["body"], content_type="application/json",
                                HTTP_MONNIFY_SIGNATURE=call["headers"]["monnify-signature"])
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    env = {"MONNIFY_READ_TIMEOUT": "30", "WEBHOOK_LEASE_SECONDS": "4", "WEBHOOK_RETRY_BASE_SECONDS": "0"}
    first = worker_process(env=env, beat=True)
    try:
        wait_for(lambda: WebhookEvent.objects.get(pk=event.pk).status == WebhookStatus.PROCESSING, timeout=30,
                 message="the worker picked the webhook up")
        wait_for(lambda: Deposit.objects.get(pk=deposit.pk).state == DepositState.VERIFYING, timeout=30,
                 message="the worker is inside the status call")
    finally:
        # when: the node dies mid-task
        first.kill()
    assert WebhookEvent.objects.get(pk=event.pk).status == WebhookStatus.PROCESSING
    assert wallet_of(customer).balance == 0
    # and Monnify heals; a new worker starts
    flow.control.config(faults={"api_timeout_rate": 0.0})
    worker_process(env=env, beat=True)
    wait_for(lambda: Deposit.objects.get(pk=deposit.pk).state == DepositState.CREDITED, timeout=60,
             message="the deposit is credited after the lease expired")
    wait_for(lambda: WebhookEvent.objects.get(pk=event.pk).status == WebhookStatus.PROCESSED, timeout=30,
             message="the webhook is recorded processed")
    # then: credited exactly once
    assert wallet_of(customer).balance == 180_000
    assert list(Posting.objects.filter(account_id=wallet_of(customer).id).values_list("amount", flat=True)) == [180_000]
    assert Journal.objects.filter(reference=f"monnify:txn:{deposit.transaction_reference}").count() == 1
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 2
