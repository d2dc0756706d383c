from __future__ import annotations

import uuid

import pytest

from audit.services import Actor
from payments.models import DepositAccount
from wallets.services import transfer_send, wallet_freeze

from .conftest import client_for, money_snapshot, send, transfer_body

pytestmark = pytest.mark.django_db

WALLET_FIELDS = {"id", "currency", "balance", "held", "available", "status", "deposit_accounts", "created_at"}
ENTRY_FIELDS = {"id", "created_at", "type", "reference", "amount", "currency", "balance_after", "narration",
                "counterparty"}


def test_wallet_list_shows_only_my_wallets(alice, bob):
    # given
    DepositAccount.objects.create(wallet=alice.wallet, account_reference=str(alice.wallet.public_id),
                                  bank_code="035", bank_name="Wema Bank", account_number="7001234567",
                                  account_name="CozonPay/Alice Adeyemi")
    # when
    response = client_for(alice).get("/api/v1/wallets")
    # then
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 1
    assert set(body[0]) == WALLET_FIELDS
    assert body[0] == {
        "id": str(alice.wallet.public_id), "currency": "NGN", "balance": 1_000_000, "held": 0,
        "available": 1_000_000, "status": "active", "created_at": body[0]["created_at"],
        "deposit_accounts": [{"bank_name": "Wema Bank", "bank_code": "035", "account_number": "7001234567",
                              "account_name": "CozonPay/Alice Adeyemi"}],
    }


def test_wallet_detail(alice):
    response = client_for(alice).get(f"/api/v1/wallets/{alice.wallet.public_id}")
    assert response.status_code == 200
    assert response.json()["id"] == str(alice.wallet.public_id)
    assert response.json()["available"] == 1_000_000
    assert response.json()["deposit_accounts"] == []


def test_wallet_detail_lists_its_own_deposit_accounts_oldest_first(alice, bob):
    # given: two accounts for Alice's wallet (the newer one created first in id order), one for Bob's
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    for wallet, number, bank, age in ((alice.wallet, "7001234567", "Wema Bank", 0),
                                      (alice.wallet, "5001234567", "Sterling Bank", 60),
                                      (bob.wallet, "7009999999", "Wema Bank", 120)):
        DepositAccount.objects.create(wallet=wallet, account_reference=str(wallet.public_id), bank_code=bank[:3],
                                      bank_name=bank, account_number=number, account_name=f"CozonPay/{number}",
                                      created_at=now - dt.timedelta(seconds=age))
    # when
    response = client_for(alice).get(f"/api/v1/wallets/{alice.wallet.public_id}")
    # then: the whole answer, Bob's account absent
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(alice.wallet.public_id), "currency": "NGN", "balance": 1_000_000, "held": 0,
        "available": 1_000_000, "status": "active", "created_at": body["created_at"],
        "deposit_accounts": [
            {"bank_name": "Sterling Bank", "bank_code": "Ste", "account_number": "5001234567",
             "account_name": "CozonPay/5001234567"},
            {"bank_name": "Wema Bank", "bank_code": "Wem", "account_number": "7001234567",
             "account_name": "CozonPay/7001234567"},
        ],
    }
    assert body["created_at"] == alice.wallet.created_at.isoformat().replace("+00:00", "Z")


def test_wallet_endpoints_need_a_token(api_client, alice):
    for path in ("/api/v1/wallets", f"/api/v1/wallets/{alice.wallet.public_id}",
                 f"/api/v1/wallets/{alice.wallet.public_id}/statement"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("suffix", ["", "/statement"])
def test_another_users_wallet_is_not_found_and_untouched(alice, bob, suffix):
    # given
    before = money_snapshot()
    # when
    response = client_for(alice).get(f"/api/v1/wallets/{bob.wallet.public_id}{suffix}")
    unknown = client_for(alice).get(f"/api/v1/wallets/{uuid.uuid4()}{suffix}")
    # then
    assert response.status_code == 404 and unknown.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert money_snapshot() == before


def test_statement_entries_are_signed_with_balance_after_and_counterparty(alice, bob):
    # given: a deposit (fixture), then a transfer of N100 to Bob
    assert send(client_for(alice), transfer_body(alice, bob, amount=10_000)).status_code == 201
    # when
    response = client_for(alice).get(f"/api/v1/wallets/{alice.wallet.public_id}/statement")
    # then
    assert response.status_code == 200
    page = response.json()
    assert page["next"] is None and page["previous"] is None
    newest, oldest = page["results"]
    assert set(newest) == ENTRY_FIELDS
    assert (newest["type"], newest["amount"], newest["balance_after"]) == ("transfer", -10_000, 990_000)
    assert newest["counterparty"] == "Bob Balogun"
    assert newest["narration"] == "lunch"
    assert newest["reference"].startswith("transfer:")
    assert (oldest["type"], oldest["amount"], oldest["balance_after"], oldest["counterparty"]) == (
        "deposit", 1_000_000, 1_000_000, None)
    bob_page = client_for(bob).get(f"/api/v1/wallets/{bob.wallet.public_id}/statement").json()
    assert (bob_page["results"][0]["amount"], bob_page["results"][0]["balance_after"],
            bob_page["results"][0]["counterparty"]) == (10_000, 510_000, "Alice Adeyemi")


def test_statement_pages_with_a_cursor_and_filters_by_date(alice, bob):
    # given: 5 transfers
    for n in range(5):
        transfer_send(source=alice.wallet, destination=bob.wallet, amount=100 + n, reference=f"t:{n}",
                      actor=Actor.system("tests"))
    client = client_for(alice)
    # when: pages of 2
    seen, url = [], f"/api/v1/wallets/{alice.wallet.public_id}/statement?page_size=2"
    while url:
        page = client.get(url).json()
        seen += page["results"]
        url = page["next"]
    # then: all 6 entries once, newest first
    assert [e["amount"] for e in seen] == [-104, -103, -102, -101, -100, 1_000_000]
    assert len({e["id"] for e in seen}) == 6
    # and: date filters
    day = seen[0]["created_at"][:10]
    assert len(client.get(f"/api/v1/wallets/{alice.wallet.public_id}/statement?from={day}&to={day}")
               .json()["results"]) == 6
    assert client.get(f"/api/v1/wallets/{alice.wallet.public_id}/statement?from=2999-01-01").json()["results"] == []


@pytest.mark.parametrize("query", ["from=yesterday", "to=2026-13-01", "from=2026-01-01T25:00", "cursor=%%%",
                                   "cursor=bm90LWEtY3Vyc29y"])
def test_statement_validation(alice, query):
    response = client_for(alice).get(f"/api/v1/wallets/{alice.wallet.public_id}/statement?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_frozen_wallet_shows_its_status(alice):
    wallet_freeze(account=alice.wallet, actor=Actor.system("tests"), reason="test")
    assert client_for(alice).get(f"/api/v1/wallets/{alice.wallet.public_id}").json()["status"] == "frozen"
