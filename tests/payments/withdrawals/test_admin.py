"""Back office: lists and search, OTP authorization and rejection forms, re-query and refund
request, each through a service with the staff member as actor (audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from payments.models import Refund, RefundState, Withdrawal, WithdrawalState
from payments.services import withdrawals as service
from tests.factories import UserFactory
from tests.wallets.admin.test_admin import SecureClient

from .conftest import balances, create

pytestmark = pytest.mark.django_db

S = WithdrawalState


@pytest.fixture
def admin_client(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return SecureClient(client), staff


@pytest.fixture
def waiting(wd, control, wallet):
    control.config(otp_required=True)
    w = service.withdrawal_submit(withdrawal_id=create(wallet).pk)
    assert w.state == S.AWAITING_AUTHORIZATION
    return w


def test_list_search_and_timeline_link(admin_client, waiting):
    client, _ = admin_client
    page = client.get(reverse("admin:payments_withdrawal_changelist") + f"?q={waiting.reference}")
    assert page.status_code == 200 and waiting.reference.encode() in page.content
    assert f"timeline/?reference={waiting.reference}".encode() in page.content
    assert reverse("admin:payments_withdrawal_authorize", args=[waiting.pk]).encode() in page.content
    assert client.get(reverse("admin:payments_withdrawal_change", args=[waiting.pk])).status_code == 200
    assert client.get(reverse("admin:payments_refund_changelist")).status_code == 200


def test_authorize_with_the_code(admin_client, waiting, wallet):
    client, staff = admin_client
    url = reverse("admin:payments_withdrawal_authorize", args=[waiting.pk])
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"code": "999999"})
    assert wrong.status_code == 200 and b"refused the authorization code" in wrong.content
    assert Withdrawal.objects.get(pk=waiting.pk).state == S.AWAITING_AUTHORIZATION
    response = client.post(url, {"code": "123456"})
    assert response.status_code == 302
    assert Withdrawal.objects.get(pk=waiting.pk).state == S.SUCCEEDED
    assert AuditEvent.objects.filter(action="withdrawal.authorization_submitted", actor_id=str(staff.pk)).count() == 2
    # a second authorization is a forbidden transition, shown to staff
    again = client.post(url, {"code": "123456"})
    assert again.status_code == 200 and b"awaiting authorization can be authorized" in again.content


def test_reject_releases_the_hold(admin_client, waiting, wallet):
    client, staff = admin_client
    held = balances(wallet)
    response = client.post(reverse("admin:payments_withdrawal_reject", args=[waiting.pk]), {"reason": "fraud check"})
    assert response.status_code == 302
    w = Withdrawal.objects.get(pk=waiting.pk)
    assert w.state == S.FAILED and "fraud check" in w.failure_reason
    assert balances(wallet)["held"] == held["held"] - w.total
    assert AuditEvent.objects.filter(action="withdrawal.reject", actor_id=str(staff.pk)).count() == 1


def test_requery_action(admin_client, wd, control, wallet):
    client, staff = admin_client
    control.config(disbursement_outcome="PENDING")
    w = service.withdrawal_submit(withdrawal_id=create(wallet).pk)
    control.post(f"/sandbox/disbursements/{w.reference}/resolve", {"status": "SUCCESS"})
    response = client.post(reverse("admin:payments_withdrawal_changelist"),
                           {"action": "requery", "_selected_action": [w.pk]})
    assert response.status_code == 302
    assert Withdrawal.objects.get(pk=w.pk).state == S.SUCCEEDED
    assert AuditEvent.objects.filter(action="withdrawal.requeried", actor_id=str(staff.pk)).count() == 1


def test_refund_request_form(admin_client, wd, control, settings):
    from payments.services.deposits import deposit_checkout_create, deposit_verify
    from tests.factories import make_wallet

    settings.DEPOSIT_CHECKOUT_TTL_SECONDS = getattr(settings, "DEPOSIT_CHECKOUT_TTL_SECONDS", 2400)
    settings.DEPOSIT_EXPIRY_MARGIN_SECONDS = getattr(settings, "DEPOSIT_EXPIRY_MARGIN_SECONDS", 300)
    client, staff = admin_client
    wallet = make_wallet(balance=0)
    deposit = deposit_checkout_create(user=wallet.owner, wallet=wallet, amount=300_000)
    control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    deposit_verify(deposit_id=deposit.pk)
    url = reverse("admin:payments_refund_request")
    response = client.post(url, {"deposit_reference": deposit.payment_reference, "amount": 100_000,
                                 "reason": "goodwill"})
    assert response.status_code == 302
    refund = Refund.objects.get(deposit=deposit)
    assert refund.state == RefundState.REQUESTED and refund.amount == 100_000 and refund.debits_wallet
    assert AuditEvent.objects.filter(action="refund.requested", actor_id=str(staff.pk)).count() == 1
    refused = client.post(url, {"deposit_reference": "nope", "reason": "x"})
    assert refused.status_code == 200 and b"No deposit" in refused.content
