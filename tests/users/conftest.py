import itertools

import pytest
from rest_framework.test import APIClient

from cozonpay.users.models import User
from cozonpay.users.services import pin_set, user_register

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(**overrides) -> User:
    n = next(_seq)
    data = {
        "email": f"user{n}-{id(overrides)}@example.ng",
        "password": PASSWORD,
        "first_name": "Ngozi",
        "last_name": f"Eze{n}",
        "phone_number": f"+23480{n:08d}"[:14],
    }
    data.update(overrides)
    return user_register(**data)


@pytest.fixture
def user(db) -> User:
    return make_user()


@pytest.fixture
def user_with_pin(db) -> User:
    u = make_user()
    pin_set(user=u, pin="1234", password=PASSWORD)
    u.refresh_from_db()
    return u


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
