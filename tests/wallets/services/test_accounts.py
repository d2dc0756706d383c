import pytest

from audit.models import AuditEvent
from cozonpay.users.services import user_register
from tests.factories import UserFactory
from tests.wallets.conftest import ledger_snapshot
from wallets.exceptions import AccountStateError, CurrencyMismatch, WalletUnavailable
from wallets.models import AccountKind, AccountStatus, LedgerAccount
from wallets.services import (
    system_account,
    wallet_close,
    wallet_freeze,
    wallet_open,
    wallet_unfreeze,
)


@pytest.mark.django_db
def test_registration_opens_the_ngn_wallet():
    user = user_register(email="ada@example.ng", password="a-long-pass-2026", first_name="Ada", last_name="Obi",
                         phone_number="+2348030000001")
    wallet = LedgerAccount.objects.get(owner=user)
    assert (wallet.kind, wallet.currency, wallet.status, wallet.balance, wallet.held, wallet.allow_negative) == (
        AccountKind.CUSTOMER_WALLET, "NGN", AccountStatus.ACTIVE, 0, 0, False)
    assert AuditEvent.objects.filter(action="ledger.wallet.opened", subject_id=str(wallet.public_id)).exists()


@pytest.mark.django_db
def test_wallet_open_is_idempotent():
    user = UserFactory()
    assert wallet_open(user=user).pk == wallet_open(user=user).pk
    assert LedgerAccount.objects.filter(owner=user).count() == 1
    with pytest.raises(CurrencyMismatch):
        wallet_open(user=user, currency="USD")


@pytest.mark.django_db
def test_system_accounts_exist_and_self_heal():
    codes = set(LedgerAccount.objects.filter(kind="system").values_list("system_code", flat=True))
    assert codes >= {"monnify_clearing", "fees_revenue", "withdrawals_in_flight", "suspense", "provider_fees"}
    account = system_account("suspense")
    assert account.allow_negative and account.is_derived and system_account("suspense").pk == account.pk
    with pytest.raises(ValueError):
        system_account("nope")


def test_freeze_unfreeze_close(wallet_factory, actor):
    wallet = wallet_factory()
    assert wallet_freeze(account=wallet, actor=actor, reason="kyc").status == AccountStatus.FROZEN
    assert wallet_freeze(account=wallet, actor=actor).status == AccountStatus.FROZEN  # idempotent
    assert wallet_unfreeze(account=wallet, actor=actor).status == AccountStatus.ACTIVE
    assert wallet_close(account=wallet, actor=actor, reason="request").status == AccountStatus.CLOSED
    actions = list(AuditEvent.objects.filter(subject_id=str(wallet.public_id)).order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["ledger.wallet.opened", "ledger.wallet.frozen", "ledger.wallet.unfrozen",
                       "ledger.wallet.closed"]
    before = ledger_snapshot()
    with pytest.raises(AccountStateError):
        wallet_freeze(account=wallet, actor=actor)
    with pytest.raises(AccountStateError):
        wallet_unfreeze(account=wallet, actor=actor)
    assert ledger_snapshot() == before


def test_only_an_empty_wallet_closes(wallet_factory, actor):
    wallet = wallet_factory(balance=1)
    before = ledger_snapshot()
    with pytest.raises(AccountStateError):
        wallet_close(account=wallet, actor=actor)
    assert ledger_snapshot() == before


def test_system_accounts_cannot_be_frozen(db, actor):
    with pytest.raises(WalletUnavailable):
        wallet_freeze(account=system_account("fees_revenue"), actor=actor)
