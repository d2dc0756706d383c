"""Lookups by email go through the unique index on lower(email): login, registration's
uniqueness check and transfer recipients must not scan the users table."""

import pytest
from django.db import connection

from cozonpay.users.models import User, email_is
from cozonpay.users.selectors import user_find_recipient, user_wallets_for_recipient

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_email_lookup_uses_the_case_insensitive_unique_index():
    user = make_user(email="ada.lovelace@example.com")
    assert User.objects.get_by_natural_key("Ada.Lovelace@EXAMPLE.com") == user
    assert user_find_recipient(identifier=" ADA.lovelace@example.com ") == user
    assert "user_email_ci_unique" in _plan(User.objects.filter(email_is("ADA.LOVELACE@example.com")))
    assert "user_email_ci_unique" in _plan(user_wallets_for_recipient(identifier="ada.lovelace@example.COM"))


def test_email_lookup_matches_nobody_else():
    make_user(email="ada@example.com")
    assert user_find_recipient(identifier="ada@example.co") is None
    assert not User.objects.filter(email_is("da@example.com")).exists()
