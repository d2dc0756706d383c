import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory
from wallets.models import AccountStatus, Journal, LedgerAccount
from wallets.services import transfer


@pytest.fixture
def staff_client(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return SecureClient(client), staff


class SecureClient:
    """Session cookies are Secure outside DEBUG: talk to the admin over (test) HTTPS."""

    def __init__(self, client: Client):
        self.client = client

    def get(self, path, *args, **kwargs):
        return self.client.get(path, *args, secure=True, **kwargs)

    def post(self, path, *args, **kwargs):
        return self.client.post(path, *args, secure=True, **kwargs)


def test_wallet_screens_are_read_only_and_freeze_calls_the_service(staff_client, wallet_factory, actor):
    # given
    client, staff = staff_client
    wallet, other = wallet_factory(balance=10_000), wallet_factory()
    journal = transfer(source=wallet, destination=other, amount=2_500, reference="adm-t", actor=actor)
    # when / then: screens render, no add
    assert client.get(reverse("admin:wallets_ledgeraccount_changelist")).status_code == 200
    page = client.get(reverse("admin:wallets_ledgeraccount_change", args=[wallet.pk]))
    assert page.status_code == 200 and b"adm-t" in page.content and b"\xe2\x82\xa675.00" in page.content
    assert client.get(reverse("admin:wallets_ledgeraccount_add")).status_code == 403
    assert client.get(reverse("admin:wallets_journal_change", args=[journal.pk])).status_code == 200
    assert client.post(reverse("admin:wallets_journal_delete", args=[journal.pk]), {"post": "yes"}).status_code == 403
    assert Journal.objects.filter(pk=journal.pk).exists()
    # when: the freeze action
    response = client.post(reverse("admin:wallets_ledgeraccount_changelist"),
                           {"action": "freeze_wallets", "_selected_action": [wallet.pk]})
    # then
    assert response.status_code == 302
    assert LedgerAccount.objects.get(pk=wallet.pk).status == AccountStatus.FROZEN
    event = AuditEvent.objects.get(action="ledger.wallet.frozen", subject_id=str(wallet.public_id))
    assert (event.actor_type, event.actor_id) == ("staff", str(staff.pk))
    client.post(reverse("admin:wallets_ledgeraccount_changelist"),
                {"action": "unfreeze_wallets", "_selected_action": [wallet.pk]})
    assert LedgerAccount.objects.get(pk=wallet.pk).status == AccountStatus.ACTIVE
