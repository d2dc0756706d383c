"""The staff groups from the data migration (cozonpay/users/roles.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cozonpay.users.roles import sync_staff_roles

pytestmark = pytest.mark.django_db

SUPPORT = {"wallets.freeze_ledgeraccount", "payments.retry_handlerrun", "webhooks.replay_webhookevent",
           "payments.add_dispute", "payments.annotate_dispute"}
FINANCE = SUPPORT | {"payments.discard_handlerrun", "payments.resolve_dispute", "payments.resolve_dispute_with_money",
                     "wallets.add_adjustment", "wallets.approve_adjustment", "payments.authorize_payout",
                     "payments.refund_payment",
                     "payments.resolve_discrepancy", "payments.run_reconciliation"}


def _perms(name: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}


def test_groups_have_exactly_their_permissions():
    support, finance = _perms("Support"), _perms("Finance")
    assert {p for p in support if ".view_" not in p} == SUPPORT
    assert {p for p in finance if ".view_" not in p} == FINANCE
    views = {p for p in support if ".view_" in p}
    assert views == {p for p in finance if ".view_" in p}
    assert {"payments.view_dispute", "payments.view_discrepancy", "payments.view_deadletter",
            "wallets.view_adjustment", "webhooks.view_webhookevent", "audit.view_auditevent",
            "users.view_user"} <= views
    assert not any(p.split(".")[1].startswith(("change_", "delete_")) for p in support | finance)


def test_finance_may_authorize_payouts_before_the_withdrawal_model_exists(finance, support):
    assert finance.has_perm("payments.authorize_payout")
    assert not support.has_perm("payments.authorize_payout")


def test_sync_is_idempotent_and_never_removes_a_grant():
    from django.contrib.auth.models import Permission

    finance = Group.objects.get(name="Finance")
    finance.permissions.add(Permission.objects.get(codename="change_user"))  # granted by hand
    before = _perms("Finance")
    sync_staff_roles()
    sync_staff_roles()
    assert _perms("Finance") == before
    assert "users.change_user" in before


def test_payout_and_refund_screens_need_finance(finance, support):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from payments.models import Refund, Withdrawal

    for model in (Withdrawal, Refund):
        model_admin = site._registry[model]
        for user, allowed in ((finance, True), (support, False)):
            request = RequestFactory().get("/admin/")
            request.user = user
            assert model_admin.has_finance_permission(request) is allowed, (model.__name__, user)
