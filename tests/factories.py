"""factory_boy factories and small builders shared by the test suites."""

from __future__ import annotations

import uuid

import factory

from cozonpay.users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}-{uuid.uuid4().hex[:6]}@example.ng")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone_number = None
    kyc_tier = 3
    password = factory.django.Password("test-password-123")


def make_wallet(*, tier: int = 3, balance: int = 0, user: User | None = None):
    """A customer's NGN wallet, funded with `balance` kobo by a deposit journal from Monnify
    clearing (so postings prove the balance)."""
    from audit.services import Actor
    from wallets.services import wallet_credit_from_provider, wallet_open

    user = user or UserFactory(kyc_tier=tier)
    wallet = wallet_open(user=user)
    if balance:
        wallet_credit_from_provider(wallet=wallet, amount=balance, reference=f"test:fund:{uuid.uuid4()}",
                                    actor=Actor.system("tests"))
        wallet.refresh_from_db()
    return wallet
