"""Staff users in each role, for the back-office tests (groups come from users/0002_staff_roles)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cozonpay.users.roles import FINANCE, SUPPORT
from tests.factories import UserFactory
from tests.payments.conftest import (  # noqa: F401  (the Monnify sandbox fixtures, shared)
    control,
    monnify_settings,
    sandbox,
    sandbox_server,
)

STAFF_PASSWORD = "staff-password-123"


def make_staff(role: str | None, *, superuser: bool = False, email: str | None = None):
    extra = {"email": email} if email else {}
    user = UserFactory(is_staff=True, is_superuser=superuser, **extra)
    user.set_password(STAFF_PASSWORD)
    user.save(update_fields=["password"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    return type(user).objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def support(db):
    return make_staff(SUPPORT)


@pytest.fixture
def finance(db):
    return make_staff(FINANCE)


@pytest.fixture
def finance2(db):
    return make_staff(FINANCE)


@pytest.fixture
def plain_staff(db):
    return make_staff(None)


@pytest.fixture
def superuser(db):
    return make_staff(None, superuser=True)
