"""User writes. Registration opens the customer's NGN wallet in the same transaction."""

from __future__ import annotations

from django.db import transaction

from wallets.services import wallet_open

from .models import User


def user_register(*, email: str, password: str, first_name: str, last_name: str,
                  phone_number: str | None) -> User:
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name,
            phone_number=phone_number,
        )
        wallet_open(user=user, currency="NGN", actor=user)
    return user
