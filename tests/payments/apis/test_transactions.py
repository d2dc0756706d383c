from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.services import Actor
from payments.models import Deposit, DepositChannel
from tests.factories import make_customer
from tests.wallets.apis.conftest import client_for
from wallets.services import journal_reverse, transfer_send

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")
FIELDS = {"id", "type", "reference", "status", "amount", "currency", "created_at"}


@pytest.fixture
def world():
    """Ada: a deposit, a transfer out to Ben, a transfer in from Ben, and the reversal of the first."""
    ada = make_customer(balance=100_000, first_name="Ada")
    ben = make_customer(balance=100_000, first_name="Ben")
    deposit = Deposit.objects.create(user=ada, wallet=ada.wallet, channel=DepositChannel.CHECKOUT,
                                     payment_reference=f"dep-{uuid.uuid4()}", amount=50_000,
                                     created_at=timezone.now() - timedelta(days=3))
    out = transfer_send(source=ada.wallet, destination=ben.wallet, amount=7_000, reference="t:out", actor=ACTOR)
    back = transfer_send(source=ben.wallet, destination=ada.wallet, amount=2_000, reference="t:in", actor=ACTOR)
    reversal = journal_reverse(journal=out.journal, actor=ACTOR)
    return {"ada": ada, "ben": ben, "deposit": deposit, "out": out, "in": back, "reversal": reversal}


def newest_first(*objects) -> list[str]:
    """Inside one test transaction the ledger's now() is one instant: ties break on the id."""
    return [str(o.public_id) for o in sorted(objects, key=lambda o: (o.created_at, o.public_id), reverse=True)]


def test_feed_merges_every_kind_newest_first(world):
    response = client_for(world["ada"]).get("/api/v1/transactions")
    assert response.status_code == 200
    results = response.json()["results"]
    assert all(set(r) == FIELDS for r in results)
    assert [r["id"] for r in results] == newest_first(world["reversal"], world["in"], world["out"], world["deposit"])
    by_type = {r["type"]: r for r in results}
    assert {t: (r["id"], r["amount"], r["status"]) for t, r in by_type.items()} == {
        "reversal": (str(world["reversal"].public_id), 7_000, "completed"),
        "transfer_in": (str(world["in"].public_id), 2_000, "completed"),
        "transfer_out": (str(world["out"].public_id), 7_000, "completed"),
        "deposit": (str(world["deposit"].public_id), 50_000, "initiated"),
    }
    assert by_type["reversal"]["reference"] == "reversal:t:out"
    assert by_type["deposit"]["reference"] == world["deposit"].reference
    assert by_type["transfer_in"]["reference"] == "t:in"
    # Ben sees his side only
    ben = client_for(world["ben"]).get("/api/v1/transactions").json()["results"]
    assert sorted(r["type"] for r in ben) == ["reversal", "transfer_in", "transfer_out"]


@pytest.mark.parametrize("query, types", [
    ("type=deposit", ["deposit"]),
    ("type=transfer_in", ["transfer_in"]),
    ("type=reversal", ["reversal"]),
    ("status=initiated", ["deposit"]),
    ("status=completed", ["reversal", "transfer_in", "transfer_out"]),
    ("type=transfer_out&status=completed", ["transfer_out"]),
    ("type=deposit&status=completed", []),
])
def test_feed_filters(world, query, types):
    results = client_for(world["ada"]).get(f"/api/v1/transactions?{query}").json()["results"]
    assert sorted(r["type"] for r in results) == types


def test_feed_date_filters(world):
    client = client_for(world["ada"])
    today = timezone.now().date()
    since_yesterday = client.get(f"/api/v1/transactions?from={today - timedelta(days=1)}").json()["results"]
    assert sorted(r["type"] for r in since_yesterday) == ["reversal", "transfer_in", "transfer_out"]
    older = client.get(f"/api/v1/transactions?to={today - timedelta(days=2)}").json()["results"]
    assert [r["type"] for r in older] == ["deposit"]


def test_feed_pages_across_sources_without_gaps_or_repeats(world):
    client = client_for(world["ada"])
    seen, url = [], "/api/v1/transactions?page_size=1"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 1
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == newest_first(world["reversal"], world["in"], world["out"], world["deposit"])


@pytest.mark.parametrize("query", ["type=lottery", "status=maybe", "from=last-week", "to=2026-02-30",
                                   "cursor=not-a-cursor"])
def test_feed_validation(world, query):
    response = client_for(world["ada"]).get(f"/api/v1/transactions?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_feed_needs_a_token(api_client):
    assert api_client.get("/api/v1/transactions").status_code == 401


def test_a_stranger_sees_nothing(world):
    stranger = make_customer()
    assert client_for(stranger).get("/api/v1/transactions").json()["results"] == []
