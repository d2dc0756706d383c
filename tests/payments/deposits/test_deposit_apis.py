import uuid

import pytest
from rest_framework.test import APIClient

from payments.models import Deposit, DepositState

from ...users.conftest import make_user
from .conftest import wallet_of

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _create(client, wallet, amount=250_000, key="k-1"):
    return client.post("/api/v1/deposits", {"wallet": str(wallet.public_id), "amount": amount}, format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_create_list_detail_and_idempotent_replay(flow, customer):
    client = _client(customer)
    wallet = wallet_of(customer)
    first = _create(client, wallet)
    assert first.status_code == 201, first.content
    body = first.json()
    assert set(body) == {"id", "reference", "channel", "status", "amount", "amount_paid", "currency", "checkout_url",
                         "expires_at", "created_at"}
    assert (body["channel"], body["status"], body["amount"], body["amount_paid"]) == ("checkout", "awaiting_payment",
                                                                                      250_000, 0)
    assert body["checkout_url"].startswith(flow.control.url)
    replay = _create(client, wallet)
    assert replay.status_code == 201 and replay.json() == body and replay["Idempotent-Replayed"] == "true"
    assert Deposit.objects.count() == 1
    reused = _create(client, wallet, amount=300_000)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Deposit.objects.count() == 1
    listed = client.get("/api/v1/deposits").json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    assert client.get(f"/api/v1/deposits/{body['id']}").json() == body


@pytest.mark.parametrize("amount", [0, -5, 1999, 2500.5, "250000", None, True, 10**13])
def test_create_validation_changes_nothing(flow, customer, amount):
    response = _create(_client(customer), wallet_of(customer), amount=amount)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "amount" in response.json()["error"]["fields"]
    assert Deposit.objects.count() == 0


def test_create_requires_idempotency_key(flow, customer):
    response = _client(customer).post("/api/v1/deposits", {"wallet": str(wallet_of(customer).public_id),
                                                           "amount": 250_000}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"
    assert Deposit.objects.count() == 0


def test_provider_down_is_503_and_retry_runs_again(flow, customer):
    flow.control.config(faults={"api_error_rate": 1.0})
    response = _create(_client(customer), wallet_of(customer))
    assert response.status_code == 503 and response.json()["error"]["code"] == "provider_unavailable"
    assert list(Deposit.objects.values_list("state", flat=True)) == [DepositState.FAILED]
    flow.control.config(faults={"api_error_rate": 0.0})
    again = _create(_client(customer), wallet_of(customer))
    assert again.status_code == 201


def test_ownership_matrix(flow, customer):
    other = make_user()
    mine = _create(_client(customer), wallet_of(customer)).json()
    intruder = _client(other)
    assert intruder.get(f"/api/v1/deposits/{mine['id']}").status_code == 404
    assert intruder.post(f"/api/v1/deposits/{mine['id']}/verify").status_code == 404
    assert intruder.get("/api/v1/deposits").json()["results"] == []
    into_someone_elses_wallet = _create(intruder, wallet_of(customer), key="k-x")
    assert into_someone_elses_wallet.status_code == 404
    assert Deposit.objects.filter(user=other).count() == 0
    assert intruder.get(f"/api/v1/deposits/{uuid.uuid4()}").status_code == 404


def test_verify_endpoint_checks_with_monnify(flow, customer):
    client = _client(customer)
    deposit = _create(client, wallet_of(customer)).json()
    reference = Deposit.objects.get(public_id=deposit["id"]).transaction_reference
    flow.control.post(f"/sandbox/checkouts/{reference}/complete", {"outcome": "PAID"})
    response = client.post(f"/api/v1/deposits/{deposit['id']}/verify")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["amount_paid"]) == ("credited", 250_000)
    assert wallet_of(customer).balance == 250_000


def test_return_page_processing_then_final(flow, customer, client):
    deposit = _create(_client(customer), wallet_of(customer)).json()
    page = client.get(f"/payments/return?paymentReference={deposit['reference']}")
    assert page.status_code == 200 and b"Processing" in page.content
    status = client.get(f"/payments/return/status?paymentReference={deposit['reference']}").json()
    assert status["final"] is False
    reference = Deposit.objects.get(public_id=deposit["id"]).transaction_reference
    flow.control.post(f"/sandbox/checkouts/{reference}/complete", {"outcome": "PAID"})
    from payments.services.deposits import deposit_verify

    deposit_verify(deposit_id=Deposit.objects.get(public_id=deposit["id"]).pk)
    final = client.get(f"/payments/return/status?paymentReference={deposit['reference']}").json()
    assert final["final"] is True and final["status"] == "credited" and final["amount"] == "₦2,500.00"
    page = client.get(f"/payments/return?paymentReference={deposit['reference']}")
    assert b"Your wallet has been funded." in page.content
    unknown = client.get("/payments/return/status?paymentReference=nope").json()
    assert unknown == {"found": False, "final": True, "message": "We could not find this payment."}


@pytest.mark.parametrize("reference", ["%00", "abc%00def"])
def test_return_page_with_a_nul_in_the_reference_is_not_found(client, reference):
    status = client.get(f"/payments/return/status?paymentReference={reference}")
    assert status.status_code == 200
    assert status.json() == {"found": False, "final": True, "message": "We could not find this payment."}
    page = client.get(f"/payments/return?paymentReference={reference}")
    assert page.status_code == 200 and b"We could not find this payment." in page.content
