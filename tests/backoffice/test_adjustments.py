"""Manual adjustments under maker-checker (wallets/services/adjustments.py)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from cozonpay.exceptions import Forbidden, ValidationFailed
from tests.factories import make_wallet
from wallets.exceptions import AdjustmentNotPending, InsufficientFunds, MakerCheckerViolation
from wallets.models import Adjustment, AdjustmentStatus, Journal, Posting, SystemCode
from wallets.selectors import account_balance
from wallets.services import adjustment_approve, adjustment_propose, adjustment_reject, system_account, transfer

pytestmark = pytest.mark.django_db


def _suspense_balance() -> int:
    return account_balance(account=system_account(SystemCode.SUSPENSE)).balance


def _state():
    return (Journal.objects.count(), Posting.objects.count(), AuditEvent.objects.count(),
            list(Adjustment.objects.values_list("status", "decided_by_id", "journal_id")))


def test_credit_is_posted_only_when_a_second_finance_user_approves(finance, finance2):
    # given
    wallet = make_wallet(balance=10_000)
    suspense_before = _suspense_balance()
    # when
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=250_000, reason="goodwill", actor=finance)
    # then: nothing moved yet
    wallet.refresh_from_db()
    assert wallet.balance == 10_000
    assert not Journal.objects.filter(reference=adjustment.reference).exists()
    proposed = AuditEvent.objects.filter(action="adjustment.proposed", references__contains=[adjustment.reference])
    assert proposed.count() == 1
    # when
    adjustment = adjustment_approve(adjustment_id=adjustment.pk, actor=finance2, note="ok")
    # then
    wallet.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED
    assert adjustment.decided_by_id == finance2.pk
    assert wallet.balance == 260_000
    assert _suspense_balance() == suspense_before - 250_000
    journal = Journal.objects.get(reference=f"adjustment:{adjustment.public_id}")
    assert adjustment.journal_id == journal.pk
    assert journal.kind == "adjustment"
    assert sorted(journal.postings.values_list("amount", flat=True)) == [-250_000, 250_000]
    actions = list(AuditEvent.objects.filter(references__contains=[adjustment.reference]).order_by("id")
                   .values_list("action", "actor_id"))
    assert ("adjustment.proposed", str(finance.pk)) in actions
    assert ("adjustment.approved", str(finance2.pk)) in actions
    assert ("ledger.journal.posted", str(finance2.pk)) in actions


def test_maker_cannot_approve_or_reject_their_own_proposal(finance):
    wallet = make_wallet(balance=0)
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=100, reason="x", actor=finance)
    before = _state()
    with pytest.raises(MakerCheckerViolation):
        adjustment_approve(adjustment_id=adjustment.pk, actor=finance)
    with pytest.raises(MakerCheckerViolation):
        adjustment_reject(adjustment_id=adjustment.pk, actor=finance, note="no")
    assert _state() == before
    wallet.refresh_from_db()
    assert wallet.balance == 0


def test_superuser_is_no_exception_to_maker_checker(superuser):
    wallet = make_wallet()
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=100, reason="x", actor=superuser)
    with pytest.raises(MakerCheckerViolation):
        adjustment_approve(adjustment_id=adjustment.pk, actor=superuser)
    assert Adjustment.objects.get(pk=adjustment.pk).status == AdjustmentStatus.PROPOSED


def test_database_refuses_approver_equal_to_proposer(finance):
    wallet = make_wallet()
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=100, reason="x", actor=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        Adjustment.objects.filter(pk=adjustment.pk).update(status="rejected", decided_by=finance)
    assert Adjustment.objects.get(pk=adjustment.pk).decided_by_id is None


def test_second_approval_changes_nothing(finance, finance2, superuser):
    wallet = make_wallet()
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=500, reason="x", actor=finance)
    adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    before = _state()
    for actor in (finance2, superuser):
        with pytest.raises(AdjustmentNotPending):
            adjustment_approve(adjustment_id=adjustment.pk, actor=actor)
        with pytest.raises(AdjustmentNotPending):
            adjustment_reject(adjustment_id=adjustment.pk, actor=actor, note="late")
    assert _state() == before
    wallet.refresh_from_db()
    assert wallet.balance == 500


def test_an_interrupted_approval_completes_once(finance, finance2):
    # given: the approval was claimed and committed, then the process died before posting
    wallet = make_wallet()
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=700, reason="x", actor=finance)
    Adjustment.objects.filter(pk=adjustment.pk).update(status=AdjustmentStatus.APPROVING, decided_by=finance2)
    # when: approved again (twice)
    adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    with pytest.raises(AdjustmentNotPending):
        adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    # then
    wallet.refresh_from_db()
    assert wallet.balance == 700
    assert Journal.objects.filter(reference=adjustment.reference).count() == 1
    assert Adjustment.objects.get(pk=adjustment.pk).status == AdjustmentStatus.APPROVED


def test_rejection_moves_nothing_and_needs_a_note(finance, finance2):
    wallet = make_wallet(balance=1_000)
    adjustment = adjustment_propose(kind="debit", account=wallet, amount=400, reason="duplicate credit", actor=finance)
    with pytest.raises(ValidationFailed):
        adjustment_reject(adjustment_id=adjustment.pk, actor=finance2, note="  ")
    adjustment = adjustment_reject(adjustment_id=adjustment.pk, actor=finance2, note="not a duplicate")
    assert adjustment.status == AdjustmentStatus.REJECTED
    assert not Journal.objects.filter(reference=adjustment.reference).exists()
    wallet.refresh_from_db()
    assert wallet.balance == 1_000
    assert AuditEvent.objects.filter(action="adjustment.rejected", actor_id=str(finance2.pk)).count() == 1
    with pytest.raises(AdjustmentNotPending):
        adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    wallet.refresh_from_db()
    assert wallet.balance == 1_000


def test_debit_refused_by_the_ledger_is_recorded_failed_and_moves_nothing(finance, finance2):
    wallet = make_wallet(balance=300)
    suspense_before = _suspense_balance()
    adjustment = adjustment_propose(kind="debit", account=wallet, amount=400, reason="clawback", actor=finance)
    with pytest.raises(InsufficientFunds):
        adjustment_approve(adjustment_id=adjustment.pk, actor=finance2)
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.FAILED
    assert adjustment.journal_id is None
    wallet.refresh_from_db()
    assert wallet.balance == 300
    assert _suspense_balance() == suspense_before


def test_debit_and_reversal(finance, finance2):
    source = make_wallet(balance=5_000)
    destination = make_wallet()
    journal = transfer(source=source, destination=destination, amount=2_000, reference="t:1", actor=source.owner)
    debit = adjustment_propose(kind="debit", account=source, amount=1_000, reason="fee correction", actor=finance)
    adjustment_approve(adjustment_id=debit.pk, actor=finance2)
    reversal = adjustment_propose(kind="reversal", reverses=journal, reason="sent in error", actor=finance2)
    reversal = adjustment_approve(adjustment_id=reversal.pk, actor=finance)
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.balance, destination.balance) == (5_000 - 1_000, 0)
    assert reversal.journal.reverses_id == journal.pk
    assert reversal.journal.reference == reversal.reference


def test_roles_without_the_permission_are_refused(support, plain_staff, finance):
    wallet = make_wallet()
    for actor in (support, plain_staff):
        with pytest.raises(Forbidden):
            adjustment_propose(kind="credit", account=wallet, amount=100, reason="x", actor=actor)
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=100, reason="x", actor=finance)
    before = _state()
    for actor in (support, plain_staff):
        with pytest.raises(Forbidden):
            adjustment_approve(adjustment_id=adjustment.pk, actor=actor)
    assert _state() == before
