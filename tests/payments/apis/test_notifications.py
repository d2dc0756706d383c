from __future__ import annotations

import uuid

import pytest

from payments.models import Notification
from payments.services.notifications import notify
from tests.factories import make_customer
from tests.wallets.apis.conftest import client_for

pytestmark = pytest.mark.django_db

FIELDS = {"id", "kind", "title", "body", "read", "created_at"}


@pytest.fixture
def ada():
    return make_customer(first_name="Ada")


@pytest.fixture
def ben():
    return make_customer(first_name="Ben")


def _notify(user, n: int) -> Notification:
    return notify(user=user, kind="transfer.received", title=f"title {n}", body=f"body {n}",
                  dedupe_key=f"test:{user.pk}:{n}", email=False)


def test_list_shows_only_my_notifications_newest_first(ada, ben):
    # given
    mine = [_notify(ada, n) for n in range(3)]
    _notify(ben, 9)
    # when
    response = client_for(ada).get("/api/v1/notifications")
    # then
    assert response.status_code == 200
    page = response.json()
    assert [n["id"] for n in page["results"]] == [str(n.pk) for n in reversed(mine)]
    assert set(page["results"][0]) == FIELDS
    assert page["results"][0] == {"id": str(mine[2].pk), "kind": "transfer.received", "title": "title 2",
                                  "body": "body 2", "read": False, "created_at": page["results"][0]["created_at"]}


def test_list_pages(ada):
    for n in range(5):
        _notify(ada, n)
    client = client_for(ada)
    first = client.get("/api/v1/notifications?page_size=3").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 3 and len(second["results"]) == 2 and second["next"] is None
    assert len({n["id"] for n in first["results"] + second["results"]}) == 5


def test_mark_read(ada):
    notification = _notify(ada, 1)
    response = client_for(ada).post(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 204 and response.content == b""
    notification.refresh_from_db()
    assert notification.read is True
    # again: still 204, still read
    assert client_for(ada).post(f"/api/v1/notifications/{notification.pk}/read").status_code == 204


def test_another_users_notification_is_not_found_and_stays_unread(ada, ben):
    theirs = _notify(ben, 1)
    response = client_for(ada).post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read is False
    assert client_for(ada).post(f"/api/v1/notifications/{uuid.uuid4()}/read").status_code == 404


def test_notifications_need_a_token(api_client, ada):
    notification = _notify(ada, 1)
    assert api_client.get("/api/v1/notifications").status_code == 401
    response = api_client.post(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    notification.refresh_from_db()
    assert notification.read is False
