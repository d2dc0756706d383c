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


_customer_seq = iter(range(1, 10**8))
CUSTOMER_PASSWORD = "correct-horse-battery-9"
CUSTOMER_PIN = "1234"


def make_customer(*, balance: int = 0, pin: str | None = CUSTOMER_PIN, tier: int = 3, first_name: str = "Ada",
                  last_name: str | None = None, email: str | None = None, phone_number: str | None = None) -> User:
    """A registered customer (NGN wallet opened by registration), at KYC `tier`, with a PIN and a
    wallet funded with `balance` kobo by a deposit journal. `user.wallet` is the wallet."""
    from audit.services import Actor
    from cozonpay.users.services import pin_set, user_register
    from wallets.selectors import wallet_get_for_user
    from wallets.services import wallet_credit_from_provider

    n = next(_customer_seq)
    tag = uuid.uuid4().hex[:8]
    user = user_register(
        email=email or f"customer{n}-{tag}@example.ng", password=CUSTOMER_PASSWORD, first_name=first_name,
        last_name=last_name or f"Okafor{n}", phone_number=phone_number or f"+23481{int(tag, 16) % 10**8:08d}",
    )
    User.objects.filter(pk=user.pk).update(kyc_tier=tier)
    user.kyc_tier = tier
    if pin:
        pin_set(user=user, pin=pin, password=CUSTOMER_PASSWORD)
    wallet = wallet_get_for_user(user=user)
    if balance:
        wallet_credit_from_provider(wallet=wallet, amount=balance, reference=f"test:fund:{uuid.uuid4()}",
                                    actor=Actor.system("tests"))
        wallet.refresh_from_db()
    user.wallet = wallet
    return user
