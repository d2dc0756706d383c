"""The permission matrix: each role against each admin action and view of the back office, over
HTTP through the real admin. "Allowed" means the effect happened; every refusal is checked to
have changed nothing."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from payments.models import Deposit, Discrepancy, Dispute, HandlerRun, OutboxEvent, ReconciliationRun
from tests.factories import make_wallet
from wallets.models import Adjustment, Journal, LedgerAccount
from wallets.services import adjustment_propose, transfer, wallet_freeze
from webhooks.models import WebhookEvent

from .conftest import make_staff

pytestmark = pytest.mark.django_db

ROLES = ("support", "finance", "plain_staff", "superuser")


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def action(client, model_url: str, name: str, pks, **extra):
    return client.post(reverse(f"admin:{model_url}_changelist"),
                       {"action": name, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], "index": 0, **extra})


@pytest.fixture
def proposer(db):
    return make_staff("Finance")


# --- each scenario performs one step as `user` and returns whether its effect happened ---------


def freeze(user, proposer) -> bool:
    wallet = make_wallet()
    action(as_user(user), "wallets_ledgeraccount", "freeze_wallets", [wallet.pk])
    return LedgerAccount.objects.get(pk=wallet.pk).status == "frozen"


def unfreeze(user, proposer) -> bool:
    wallet = make_wallet()
    wallet_freeze(account=wallet, actor=proposer)
    action(as_user(user), "wallets_ledgeraccount", "unfreeze_wallets", [wallet.pk])
    return LedgerAccount.objects.get(pk=wallet.pk).status == "active"


def _dead_run() -> HandlerRun:
    event = OutboxEvent.objects.create(event_type="test.event", aggregate_type="x", aggregate_id=str(uuid.uuid4()))
    return HandlerRun.objects.create(event=event, handler="h", status="dead", attempts=3)


def dead_letter_retry(user, proposer) -> bool:
    run = _dead_run()
    action(as_user(user), "payments_deadletter", "retry", [run.pk])
    return HandlerRun.objects.get(pk=run.pk).status == "pending"


def dead_letter_discard(user, proposer) -> bool:
    run = _dead_run()
    action(as_user(user), "payments_deadletter", "discard", [run.pk])
    return HandlerRun.objects.get(pk=run.pk).status == "discarded"


def webhook_replay(user, proposer) -> bool:
    event = WebhookEvent.objects.create(event_type="SUCCESSFUL_TRANSACTION", dedupe_key=str(uuid.uuid4()), body="{}",
                                        status="dead", attempts=3)
    action(as_user(user), "webhooks_webhookevent", "replay", [event.pk])
    return WebhookEvent.objects.get(pk=event.pk).status == "received"


def adjustment_propose_view(user, proposer) -> bool:
    wallet = make_wallet()
    as_user(user).post(reverse("admin:wallets_adjustment_add"), {
        "kind": "credit", "wallet": wallet.owner.email, "amount": "12.34", "reason": "goodwill"})
    return Adjustment.objects.filter(account=wallet, amount=1_234, proposed_by=user).exists()


def _proposal(proposer) -> Adjustment:
    return adjustment_propose(kind="credit", account=make_wallet(), amount=500, reason="x", actor=proposer)


def adjustment_approve_view(user, proposer) -> bool:
    adjustment = _proposal(proposer)
    as_user(user).post(reverse("admin:wallets_adjustment_approve", args=[adjustment.pk]), {"note": "ok"})
    return Journal.objects.filter(reference=adjustment.reference).exists()


def adjustment_approve_action(user, proposer) -> bool:
    adjustment = _proposal(proposer)
    action(as_user(user), "wallets_adjustment", "approve_selected", [adjustment.pk])
    return Journal.objects.filter(reference=adjustment.reference).exists()


def adjustment_reject_view(user, proposer) -> bool:
    adjustment = _proposal(proposer)
    as_user(user).post(reverse("admin:wallets_adjustment_reject", args=[adjustment.pk]), {"note": "no"})
    return Adjustment.objects.get(pk=adjustment.pk).status == "rejected"


def _discrepancy() -> Discrepancy:
    run = ReconciliationRun.objects.create(scope="monnify", triggered_by="test")
    return Discrepancy.objects.create(kind="missing_ours", source="collection", reference=str(uuid.uuid4()),
                                      summary="s", run=run)


def discrepancy_resolve_view(user, proposer) -> bool:
    discrepancy = _discrepancy()
    as_user(user).post(reverse("admin:payments_discrepancy_resolve", args=[discrepancy.pk]), {"note": "done"})
    return Discrepancy.objects.get(pk=discrepancy.pk).status == "resolved"


def discrepancy_resolve_action(user, proposer) -> bool:
    discrepancy = _discrepancy()
    action(as_user(user), "payments_discrepancy", "resolve_selected", [discrepancy.pk], apply="1", note="done")
    return Discrepancy.objects.get(pk=discrepancy.pk).status == "resolved"


def reconciliation_run_now(user, proposer) -> bool:
    from unittest import mock

    with mock.patch("payments.admin.reconciliation.safe_enqueue", return_value=True) as enqueue:
        as_user(user).post(reverse("admin:payments_reconciliationrun_run"), {"scope": "ledger"})
    return enqueue.called


def _dispute(status="open") -> Dispute:
    from payments.services.disputes import dispute_open

    source, destination = make_wallet(balance=10_000), make_wallet()
    reference = f"transfer:{uuid.uuid4()}"
    transfer(source=source, destination=destination, amount=1_000, reference=reference, actor=source.owner)
    return dispute_open(user=source.owner, reference=reference, reason="sent_in_error", description="oops")


def dispute_open_for_customer(user, proposer) -> bool:
    wallet = make_wallet()
    deposit = Deposit.objects.create(user=wallet.owner, wallet=wallet, channel="checkout",
                                     payment_reference=f"dep_{uuid.uuid4().hex}", amount=100)
    as_user(user).post(reverse("admin:payments_dispute_add"), {
        "customer": wallet.owner.email, "reference": deposit.payment_reference, "reason": "other",
        "description": "phoned in"})
    return Dispute.objects.filter(reference=deposit.payment_reference).exists()


def dispute_investigate(user, proposer) -> bool:
    dispute = _dispute()
    as_user(user).post(reverse("admin:payments_dispute_investigate", args=[dispute.pk]), {"note": ""})
    return Dispute.objects.get(pk=dispute.pk).status == "investigating"


def dispute_investigate_action(user, proposer) -> bool:
    dispute = _dispute()
    action(as_user(user), "payments_dispute", "start_investigating", [dispute.pk])
    return Dispute.objects.get(pk=dispute.pk).status == "investigating"


def dispute_note(user, proposer) -> bool:
    dispute = _dispute()
    as_user(user).post(reverse("admin:payments_dispute_note", args=[dispute.pk]), {"note": "called"})
    return dispute.notes.exists()


def dispute_resolve_no_money(user, proposer) -> bool:
    dispute = _dispute()
    as_user(user).post(reverse("admin:payments_dispute_resolve", args=[dispute.pk]),
                       {"outcome": "no_money", "note": "explained"})
    return Dispute.objects.get(pk=dispute.pk).status == "resolved"


def dispute_resolve_reversal(user, proposer) -> bool:
    dispute = _dispute()
    as_user(user).post(reverse("admin:payments_dispute_resolve", args=[dispute.pk]),
                       {"outcome": "reversal", "note": "reversed"})
    return Journal.objects.filter(reverses__reference=dispute.reference).exists()


def dispute_reject(user, proposer) -> bool:
    dispute = _dispute()
    as_user(user).post(reverse("admin:payments_dispute_reject", args=[dispute.pk]), {"note": "no"})
    return Dispute.objects.get(pk=dispute.pk).status == "rejected"


MATRIX = {
    # scenario: roles allowed (superuser always)
    freeze: {"support", "finance"},
    unfreeze: {"support", "finance"},
    dead_letter_retry: {"support", "finance"},
    dead_letter_discard: {"finance"},
    webhook_replay: {"support", "finance"},
    adjustment_propose_view: {"finance"},
    adjustment_approve_view: {"finance"},
    adjustment_approve_action: {"finance"},
    adjustment_reject_view: {"finance"},
    discrepancy_resolve_view: {"finance"},
    discrepancy_resolve_action: {"finance"},
    reconciliation_run_now: {"finance"},
    dispute_open_for_customer: {"support", "finance"},
    dispute_investigate: {"support", "finance"},
    dispute_investigate_action: {"support", "finance"},
    dispute_note: {"support", "finance"},
    dispute_resolve_no_money: {"finance"},
    dispute_resolve_reversal: {"finance"},
    dispute_reject: {"finance"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scenario", list(MATRIX), ids=lambda f: f.__name__)
def test_permission_matrix(request, role, scenario, proposer):
    user = request.getfixturevalue(role)
    allowed = role == "superuser" or role in MATRIX[scenario]
    assert scenario(user, proposer) is allowed


def test_maker_cannot_approve_own_proposal_in_the_admin(finance):
    adjustment = adjustment_propose(kind="credit", account=make_wallet(), amount=500, reason="x", actor=finance)
    client = as_user(finance)
    page = client.get(reverse("admin:wallets_adjustment_change", args=[adjustment.pk]))
    assert page.status_code == 200 and b"step-approve" not in page.content
    assert client.post(reverse("admin:wallets_adjustment_approve", args=[adjustment.pk])).status_code == 403
    response = action(client, "wallets_adjustment", "approve_selected", [adjustment.pk])
    assert response.status_code == 302
    assert not Journal.objects.filter(reference=adjustment.reference).exists()
    assert Adjustment.objects.get(pk=adjustment.pk).status == "proposed"


CHANGELISTS = ("wallets_ledgeraccount", "wallets_journal", "wallets_hold", "wallets_adjustment", "payments_dispute",
               "payments_discrepancy", "payments_reconciliationrun", "payments_deadletter", "payments_outboxevent",
               "payments_notification", "webhooks_webhookevent", "audit_auditevent", "users_user")


@pytest.mark.parametrize("role", ROLES)
def test_read_everything(request, role):
    user = request.getfixturevalue(role)
    client = as_user(user)
    statuses = {name: client.get(reverse(f"admin:{name}_changelist")).status_code for name in CHANGELISTS}
    expected = 403 if role == "plain_staff" else 200
    assert statuses == dict.fromkeys(CHANGELISTS, expected)


def test_pages_render_with_their_buttons(finance, support):
    dispute = _dispute()
    discrepancy = _discrepancy()
    page = as_user(finance).get(reverse("admin:payments_dispute_change", args=[dispute.pk])).content.decode()
    assert all(f'id="step-{step}"' in page for step in ("note", "investigate", "resolve", "reject"))
    assert "dispute.opened" in page  # the audit timeline
    page = as_user(support).get(reverse("admin:payments_dispute_change", args=[dispute.pk])).content.decode()
    assert 'id="step-note"' in page and 'id="step-resolve"' not in page
    page = as_user(finance).get(reverse("admin:payments_discrepancy_change", args=[discrepancy.pk])).content.decode()
    assert 'id="step-resolve"' in page
    assert as_user(support).get(reverse("admin:payments_discrepancy_resolve", args=[discrepancy.pk])).status_code == 403
    form = as_user(finance).get(reverse("admin:payments_dispute_resolve", args=[dispute.pk])).content.decode()
    assert 'value="reversal"' in form
