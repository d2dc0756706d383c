"""Lookups by email go through the unique index on lower(email): login, registration's
uniqueness check and transfer recipients must not scan the users table."""

import pytest
from django.db import connection

from cozonpay.users.models import User, email_is
from cozonpay.users.selectors import user_find_recipient
from wallets.selectors import WALLET_OF_RECIPIENT_SQL

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _no_seqscan():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def test_email_lookup_uses_the_case_insensitive_unique_index():
    user = make_user(email="ada.lovelace@example.com")
    assert User.objects.get_by_natural_key("Ada.Lovelace@EXAMPLE.com") == user
    assert user_find_recipient(identifier=" ADA.lovelace@example.com ") == user
    _no_seqscan()
    assert "user_email_ci_unique" in User.objects.filter(email_is("ADA.LOVELACE@example.com")).explain()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + WALLET_OF_RECIPIENT_SQL["email"], ["customer_wallet", "NGN", "ada@example.com"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "user_email_ci_unique" in plan


def test_email_lookup_matches_nobody_else():
    make_user(email="ada@example.com")
    assert user_find_recipient(identifier="ada@example.co") is None
    assert not User.objects.filter(email_is("da@example.com")).exists()
