"""POST/GET /api/v1/withdrawals: contract, ownership, idempotent replay, and refusals that change
nothing. Business rules are tested in the service tests."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from audit.services import Actor
from cozonpay.users.services import pin_set
from payments.models import Withdrawal, WithdrawalState
from tests.users.conftest import PASSWORD, make_user
from wallets.models import Hold
from wallets.selectors import wallet_get_for_user
from wallets.services import wallet_credit_from_provider

from .conftest import balances

pytestmark = pytest.mark.django_db

URL = "/api/v1/withdrawals"


@pytest.fixture
def customer(wd):
    user = make_user()
    pin_set(user=user, pin="1234", password=PASSWORD)
    type(user).objects.filter(pk=user.pk).update(kyc_tier=3)
    wallet = wallet_get_for_user(user=user)
    wallet_credit_from_provider(wallet=wallet, amount=1_000_000, reference=f"test:{uuid.uuid4()}",
                                actor=Actor.system("tests"))
    client = APIClient()
    client.force_authenticate(user)
    return user, wallet, client


def _body(wallet_, **overrides):
    return {"wallet": str(wallet_.public_id), "amount": 500_000, "bank_code": "058", "account_number": "0123456789",
            "narration": "rent", "pin": "1234", **overrides}


def _post(client, body, key=None):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_create_answers_202_with_the_withdrawal_and_holds_funds(customer, control):
    user, wallet, client = customer
    response = _post(client, _body(wallet), key="k1")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "funds_held" and body["amount"] == 500_000 and body["fee"] == 1_000
    assert body["reference"].startswith("wd_") and body["currency"] == "NGN"
    assert body["destination"]["bank_code"] == "058" and body["destination"]["account_number"] == "0123456789"
    assert body["destination"]["account_name"] and body["destination"]["bank_name"]
    assert balances(wallet)["held"] == 501_000
    # replay: the same answer, no second withdrawal
    replay = _post(client, _body(wallet), key="k1")
    assert replay.status_code == 202 and replay.json() == body and replay["Idempotent-Replayed"] == "true"
    assert Withdrawal.objects.filter(user=user).count() == 1
    # read back
    assert client.get(f"{URL}/{body['id']}").json()["reference"] == body["reference"]
    listed = client.get(URL).json()
    assert [w["id"] for w in listed["results"]] == [body["id"]]


@pytest.mark.parametrize("overrides, status, code", [
    ({"pin": "9999"}, 403, "invalid_pin"),
    ({"amount": 5000.5}, 400, "validation_error"),
    ({"amount": "5000"}, 400, "validation_error"),
    ({"amount": 999}, 400, "validation_error"),
    ({"account_number": "12345"}, 400, "validation_error"),
    ({"account_number": "0001234567"}, 422, "account_not_found"),
    ({"amount": 5_000_000}, 422, "insufficient_funds"),
    ({"wallet": str(uuid.uuid4())}, 404, "not_found"),
])
def test_refusals_change_nothing(customer, control, overrides, status, code):
    user, wallet, client = customer
    before = balances(wallet)
    response = _post(client, _body(wallet, **overrides))
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert balances(wallet) == before and not Hold.objects.filter(account=wallet).exists()
    assert control.get("/sandbox/disbursements") == []
    kept = list(Withdrawal.objects.filter(user=user).values_list("state", flat=True))
    # only a refusal by the ledger leaves a (failed) row; nothing else is recorded
    assert kept == ([WithdrawalState.FAILED] if code == "insufficient_funds" else [])


def test_monnify_outage_is_503_and_nothing_changes(customer, control):
    user, wallet, client = customer
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v1/disbursements/account"]})
    before = balances(wallet)
    response = _post(client, _body(wallet))
    assert response.status_code == 503 and response.json()["error"]["code"] == "provider_unavailable"
    assert balances(wallet) == before and not Withdrawal.objects.exists()


def test_other_customers_withdrawals_are_404(customer, control):
    user, wallet, client = customer
    created = _post(client, _body(wallet)).json()
    stranger = APIClient()
    stranger.force_authenticate(make_user())
    assert stranger.get(f"{URL}/{created['id']}").status_code == 404
    assert stranger.get(URL).json()["results"] == []
    assert APIClient().get(URL).status_code == 401
