"""Disputes end to end: the customer API, staff steps, money outcomes, notifications, audit."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cozonpay.exceptions import Forbidden
from payments.events.services import outbox_dispatch
from payments.models import Deposit, Dispute, DisputeNote, Notification, OutboxEvent
from payments.services import disputes as service
from tests.factories import make_wallet
from wallets.exceptions import MakerCheckerViolation
from wallets.models import Adjustment, AdjustmentStatus, Journal, Posting
from wallets.services import adjustment_approve, transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return make_wallet(balance=100_000)


@pytest.fixture
def bob():
    return make_wallet(balance=0)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_deposit(wallet, *, amount=50_000, state="credited") -> Deposit:
    ref = uuid.uuid4().hex[:12]
    return Deposit.objects.create(
        user=wallet.owner, wallet=wallet, channel="checkout", state=state, payment_reference=f"dep_{ref}",
        transaction_reference=f"MNFY|{ref}", amount=amount, amount_paid=amount, amount_credited=amount,
        journal_reference=f"monnify:txn:MNFY|{ref}",
    )


def dispatch_all() -> None:
    for event_id in OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("id").values_list("pk", flat=True):
        outbox_dispatch(event_id=event_id)


def _counts():
    return (Dispute.objects.count(), Journal.objects.count(), Posting.objects.count(), AuditEvent.objects.count(),
            OutboxEvent.objects.count(), list(Dispute.objects.values_list("status", "outcome")))


# --- API ---------------------------------------------------------------------------------------


def test_customer_opens_a_dispute_on_their_deposit(alice):
    deposit = make_deposit(alice)
    response = client_for(alice.owner).post("/api/v1/disputes", {
        "reference": deposit.payment_reference, "reason": "wrong_amount", "description": "I paid 600"},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    dispute = Dispute.objects.get()
    assert body == {"id": str(dispute.public_id), "reference": deposit.payment_reference, "status": "open",
                    "reason": "wrong_amount", "description": "I paid 600", "outcome": "", "resolution_note": None,
                    "created_at": body["created_at"], "updated_at": body["updated_at"]}
    assert (dispute.subject_type, dispute.journal_reference, dispute.amount) == (
        "deposit", deposit.journal_reference, 50_000)
    dispatch_all()
    assert list(Notification.objects.filter(user=alice.owner).values_list("kind", flat=True)) == ["dispute.opened"]


def test_customer_opens_a_dispute_on_a_transfer_they_sent_or_received(alice, bob):
    journal = transfer(source=alice, destination=bob, amount=20_000, reference="transfer:abc", actor=alice.owner)
    for user in (alice.owner, bob.owner):
        response = client_for(user).post("/api/v1/disputes", {
            "reference": "transfer:abc", "reason": "sent_in_error", "description": "wrong person"}, format="json")
        assert response.status_code == 201, response.content
    assert set(Dispute.objects.values_list("subject_type", "journal_reference", "amount")) == {
        ("transfer", journal.reference, 20_000)}


@pytest.mark.parametrize("reference", ["nope", "transfer:theirs", "dep_theirs"])
def test_a_reference_that_is_not_the_customers_is_404_and_nothing_is_created(alice, bob, reference):
    carol = make_wallet(balance=10_000)
    transfer(source=carol, destination=bob, amount=1_000, reference="transfer:theirs", actor=carol.owner)
    Deposit.objects.create(user=bob.owner, wallet=bob, channel="checkout", payment_reference="dep_theirs",
                           amount=100)
    before = _counts()
    response = client_for(alice.owner).post("/api/v1/disputes", {
        "reference": reference, "reason": "other", "description": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "transaction_not_found"
    assert _counts() == before


def test_validation_and_duplicates(alice):
    deposit = make_deposit(alice)
    client = client_for(alice.owner)
    bad = client.post("/api/v1/disputes", {"reference": deposit.payment_reference, "reason": "because",
                                           "description": ""}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"reason", "description"}
    first = client.post("/api/v1/disputes", {"reference": deposit.payment_reference, "reason": "other",
                                             "description": "x"}, format="json")
    assert first.status_code == 201
    before = _counts()
    again = client.post("/api/v1/disputes", {"reference": deposit.payment_reference, "reason": "other",
                                             "description": "x"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "dispute_exists"
    assert _counts() == before
    assert client_for(alice.owner).post("/api/v1/disputes", {}, format="json").status_code == 400
    assert APIClient().get("/api/v1/disputes").status_code == 401


def test_list_and_detail_show_only_own_disputes_with_the_public_note(alice, bob, finance):
    mine = service.dispute_open(user=alice.owner, reference=make_deposit(alice).payment_reference,
                                reason="other", description="x")
    theirs = service.dispute_open(user=bob.owner, reference=make_deposit(bob).payment_reference,
                                  reason="other", description="y")
    service.dispute_note_add(dispute_id=mine.pk, actor=finance, body="internal: customer called twice")
    service.dispute_reject(dispute_id=mine.pk, actor=finance, note="The payment was credited on 3 March.")
    client = client_for(alice.owner)
    listed = client.get("/api/v1/disputes").json()
    assert [d["id"] for d in listed["results"]] == [str(mine.public_id)]
    detail = client.get(f"/api/v1/disputes/{mine.public_id}").json()
    assert (detail["status"], detail["resolution_note"]) == ("rejected", "The payment was credited on 3 March.")
    assert "internal" not in str(detail)
    assert client.get(f"/api/v1/disputes/{theirs.public_id}").status_code == 404
    assert client.get(f"/api/v1/disputes/{uuid.uuid4()}").status_code == 404


# --- Staff steps ----------------------------------------------------------------------------


def test_resolve_with_a_reversal_end_to_end(alice, bob, support, finance):
    # given: alice sent 30,000 kobo to bob by mistake and disputes it
    journal = transfer(source=alice, destination=bob, amount=30_000, reference="transfer:oops", actor=alice.owner)
    dispute = service.dispute_open(user=alice.owner, reference="transfer:oops", reason="sent_in_error",
                                   description="wrong account")
    # when: support investigates and annotates; finance resolves with a reversal
    service.dispute_investigate(dispute_id=dispute.pk, actor=support, note="called bob")
    service.dispute_note_add(dispute_id=dispute.pk, actor=support, body="bob agrees")
    before = _counts()
    with pytest.raises(Forbidden):
        service.dispute_resolve(dispute_id=dispute.pk, actor=support, outcome="reversal", note="x")
    assert _counts() == before
    result = service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="reversal",
                                     note="The transfer was reversed.")
    # then
    assert result.resolved
    dispute = Dispute.objects.get(pk=dispute.pk)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (dispute.status, dispute.outcome) == ("resolved", "reversal")
    assert dispute.resolution_reference == f"dispute:{dispute.public_id}:reversal"
    reversal = Journal.objects.get(reference=dispute.resolution_reference)
    assert reversal.reverses_id == journal.pk
    assert (alice.balance, bob.balance) == (100_000, 0)
    assert DisputeNote.objects.filter(dispute=dispute).count() == 2
    dispatch_all()
    kinds = list(Notification.objects.filter(user=alice.owner).order_by("created_at").values_list("kind", flat=True))
    assert kinds == ["dispute.opened", "dispute.investigating", "dispute.resolved"]
    assert "The transfer was reversed." in Notification.objects.get(kind="dispute.resolved").body
    actions = [e.action for e in AuditEvent.objects.filter(references__contains=[str(dispute.public_id)])]
    assert actions == ["dispute.opened", "dispute.investigating", "dispute.note_added", "dispute.resolved"]
    # and a second resolution changes nothing
    before = _counts()
    with pytest.raises(service.DisputeClosed):
        service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="reversal", note="again")
    assert _counts() == before


def test_goodwill_credit_goes_through_maker_checker(alice, finance, finance2):
    dispute = service.dispute_open(user=alice.owner, reference=make_deposit(alice).payment_reference,
                                   reason="wrong_amount", description="short by 5,000")
    # the first resolve proposes the credit; nothing moves
    first = service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="goodwill_credit",
                                    note="We credited the difference.", amount=5_000)
    assert not first.resolved
    adjustment = Adjustment.objects.get(source_reference=f"dispute:{dispute.public_id}")
    assert (adjustment.status, adjustment.amount, adjustment.proposed_by_id) == ("proposed", 5_000, finance.pk)
    alice.refresh_from_db()
    assert alice.balance == 100_000
    # resolving again before approval is refused; the maker cannot approve
    with pytest.raises(service.DomainError):
        service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="goodwill_credit", note="x")
    with pytest.raises(MakerCheckerViolation):
        adjustment_approve(adjustment_id=adjustment.pk, actor=finance)
    # a second finance user approves, then the dispute resolves with that journal
    adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    result = service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="goodwill_credit",
                                     note="We credited the difference.")
    assert result.resolved
    dispute = Dispute.objects.get(pk=dispute.pk)
    alice.refresh_from_db()
    assert alice.balance == 105_000
    assert dispute.resolution_reference == f"adjustment:{adjustment.public_id}"
    assert Adjustment.objects.get(pk=adjustment.pk).status == AdjustmentStatus.APPROVED


def test_refund_outcome_refunds_the_deposit_through_monnify(alice, finance):
    from payments.models import Refund, RefundOrigin

    deposit = make_deposit(alice)
    dispute = service.dispute_open(user=alice.owner, reference=deposit.payment_reference,
                                   reason="duplicate", description="charged twice")
    # when Finance resolves it with a refund of part of the deposit
    result = service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="refund", note="sorry",
                                     amount=10_000)
    # then a staff refund of exactly that amount exists, the wallet holds it until Monnify completes it
    refund = Refund.objects.get(deposit=deposit)
    assert (refund.origin, refund.amount, refund.debits_wallet) == (RefundOrigin.STAFF, 10_000, True)
    alice.refresh_from_db()
    assert alice.held == 10_000
    assert result.resolved
    assert Dispute.objects.get(pk=dispute.pk).resolution_reference == refund.reference


def test_refund_outcome_is_refused_for_a_transfer_and_changes_nothing(alice, bob, finance):
    journal = transfer(source=alice, destination=bob, amount=1_000, reference=f"transfer:{uuid.uuid4()}", actor=None)
    dispute = service.dispute_open(user=alice.owner, reference=journal.reference, reason="other", description="x")
    before = _counts()
    with pytest.raises(service.DomainError) as refused:
        service.dispute_resolve(dispute_id=dispute.pk, actor=finance, outcome="refund", note="x", amount=100)
    assert refused.value.code == "refund_unavailable"
    assert _counts() == before


def test_support_opens_for_a_customer_and_plain_staff_cannot(alice, support, plain_staff):
    deposit = make_deposit(alice)
    with pytest.raises(Forbidden):
        service.dispute_open(user=alice.owner, reference=deposit.payment_reference, reason="other",
                             description="x", actor=plain_staff)
    dispute = service.dispute_open(user=alice.owner, reference=deposit.payment_reference, reason="other",
                                   description="phoned in", actor=support)
    assert dispute.opened_by_id == support.pk
    with pytest.raises(Forbidden):
        service.dispute_investigate(dispute_id=dispute.pk, actor=plain_staff)
    assert Dispute.objects.get(pk=dispute.pk).status == "open"
