"""Manual adjustments under maker-checker: nobody moves money alone.

    adjustment_propose(kind="credit", account=wallet, amount=50_000, reason="...", actor=maker)
    adjustment_approve(adjustment_id=adj.pk, actor=checker)      # posts the journal
    adjustment_reject(adjustment_id=adj.pk, actor=checker, note="...")

Rules:
* Proposing needs `wallets.add_adjustment`; deciding needs `wallets.approve_adjustment` and a
  different person from the proposer (refused here with MakerCheckerViolation, and by the
  `adjustment_checker_is_not_maker` CHECK constraint underneath). Superusers are no exception.
* Only approval posts, against the suspense system account (credit: suspense -> wallet; debit:
  wallet -> suspense; reversal: the mirror of the journal, via `journal_reverse`). Limits are not
  checked (`check_limits=False`): these are corrections.
* Claim, post, record. The approval is claimed first (`proposed` -> `approving`, committed, audited),
  then the ledger posts in its own durable transaction under the reference `adjustment:<public_id>`,
  then the outcome is recorded (`approved` with the journal, or `failed` when the ledger refused
  and nothing moved). A crash between the steps leaves `approving`; approving again replays the
  same reference, which the ledger answers with the existing journal, so money moves at most once.
* A decided adjustment stays decided: a second approval or rejection raises AdjustmentNotPending
  and changes nothing (no journal, no audit row).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.exceptions import Forbidden, ValidationFailed

from ..exceptions import AdjustmentNotPending, LedgerError, MakerCheckerViolation, WalletUnavailable
from ..models import (
    AccountKind,
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    Journal,
    JournalKind,
    LedgerAccount,
    SystemCode,
)
from ._engine import PostingSpec, check_amount
from .accounts import system_account
from .journals import journal_post, journal_reverse

PROPOSE_PERMISSION = "wallets.add_adjustment"
APPROVE_PERMISSION = "wallets.approve_adjustment"


def _require(user: Any, permission: str) -> None:
    if not (user is not None and getattr(user, "is_active", False) and user.has_perm(permission)):
        raise Forbidden()


def _references(adjustment: Adjustment) -> list[str]:
    refs = [adjustment.reference, str(adjustment.public_id)]
    if adjustment.account_id:
        refs.append(str(adjustment.account.public_id))
    if adjustment.reverses_id:
        refs.append(adjustment.reverses.reference)
    if adjustment.source_reference:
        refs.append(adjustment.source_reference)
    return refs


def _snapshot(adjustment: Adjustment) -> dict:
    return {
        "kind": adjustment.kind, "status": adjustment.status, "amount": adjustment.amount,
        "currency": adjustment.currency, "reason": adjustment.reason,
        "account": str(adjustment.account.public_id) if adjustment.account_id else None,
        "reverses": adjustment.reverses.reference if adjustment.reverses_id else None,
        "source_reference": adjustment.source_reference,
        "proposed_by": str(adjustment.proposed_by_id),
        "decided_by": str(adjustment.decided_by_id) if adjustment.decided_by_id else None,
        "decision_note": adjustment.decision_note,
        "journal": adjustment.journal.reference if adjustment.journal_id else None,
        "failure_reason": adjustment.failure_reason,
    }


def adjustment_propose(
    *,
    kind: str,
    actor: Any,
    reason: str,
    account: LedgerAccount | None = None,
    amount: int | None = None,
    reverses: Journal | None = None,
    source_reference: str = "",
) -> Adjustment:
    """Record a proposal (nothing moves). Nestable (plain `atomic`): the admin's add view runs it
    inside its own transaction."""
    _require(actor, PROPOSE_PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for the adjustment.", fields={"reason": ["This field is required."]})
    if kind in (AdjustmentKind.CREDIT, AdjustmentKind.DEBIT):
        if account is None or account.kind != AccountKind.CUSTOMER_WALLET:
            raise WalletUnavailable("Credits and debits adjust customer wallets only.")
        amount = check_amount(amount)
        fields = {"account": account, "amount": amount, "currency": account.currency}
    elif kind == AdjustmentKind.REVERSAL:
        if reverses is None:
            raise ValidationFailed("Choose the journal to reverse.", fields={"reverses": ["This field is required."]})
        if Journal.objects.filter(reverses_id=reverses.pk).exists():
            raise LedgerError("This journal has already been reversed.", code="already_reversed", http_status=409)
        fields = {"reverses": reverses}
    else:
        raise ValidationFailed("Unknown adjustment kind.", fields={"kind": [f"Not one of {AdjustmentKind.values}."]})
    with transaction.atomic():
        adjustment = Adjustment.objects.create(kind=kind, reason=reason, proposed_by=actor,
                                               source_reference=source_reference[:255], **fields)
        audit_record(action="adjustment.proposed", actor=actor, subject=adjustment,
                     references=_references(adjustment), payload=_snapshot(adjustment))
    return adjustment


def _locked(adjustment_id: int) -> Adjustment:
    return (Adjustment.objects.select_for_update(of=("self",))
            .select_related("account", "reverses").get(pk=adjustment_id))


def _check_decider(adjustment: Adjustment, actor: Any) -> None:
    if str(adjustment.proposed_by_id) == str(actor.pk):
        raise MakerCheckerViolation()


def adjustment_approve(*, adjustment_id: int, actor: Any, note: str = "") -> Adjustment:
    """Approve and post (see the module docstring). Raises MakerCheckerViolation for the proposer,
    AdjustmentNotPending once decided, and the ledger's refusal (after recording `failed`)."""
    _require(actor, APPROVE_PERMISSION)
    with transaction.atomic(durable=True):
        adjustment = _locked(adjustment_id)
        _check_decider(adjustment, actor)
        if adjustment.status == AdjustmentStatus.PROPOSED:
            adjustment.status = AdjustmentStatus.APPROVING
            adjustment.decided_by = actor
            adjustment.decided_at = timezone.now()
            adjustment.decision_note = (note or "").strip()
            adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            audit_record(action="adjustment.approved", actor=actor, subject=adjustment,
                         references=_references(adjustment), payload=_snapshot(adjustment))
        elif adjustment.status != AdjustmentStatus.APPROVING:
            raise AdjustmentNotPending()
        # else: an approval that crashed before recording its outcome; finish it (same reference).

    try:
        journal = _post(adjustment, actor)
    except LedgerError as exc:
        with transaction.atomic(durable=True):
            locked = _locked(adjustment_id)
            if locked.status == AdjustmentStatus.APPROVING:
                locked.status = AdjustmentStatus.FAILED
                locked.failure_reason = exc.message[:255]
                locked.save(update_fields=["status", "failure_reason"])
                audit_record(action="adjustment.failed", actor=Actor.system("adjustments"), subject=locked,
                             references=_references(locked), payload={**_snapshot(locked), "code": exc.code})
        raise

    with transaction.atomic(durable=True):
        adjustment = _locked(adjustment_id)
        if adjustment.status == AdjustmentStatus.APPROVING:
            adjustment.status = AdjustmentStatus.APPROVED
            adjustment.journal = journal
            adjustment.save(update_fields=["status", "journal"])
            audit_record(action="adjustment.posted", actor=Actor.system("adjustments"), subject=adjustment,
                         references=[*_references(adjustment), journal.reference], payload=_snapshot(adjustment))
    return adjustment


def _post(adjustment: Adjustment, actor: Any) -> Journal:
    reference = adjustment.reference
    narration = f"Adjustment: {adjustment.reason}"[:255]
    metadata = {"adjustment": str(adjustment.public_id), "proposed_by": str(adjustment.proposed_by_id),
                "approved_by": str(adjustment.decided_by_id), "source_reference": adjustment.source_reference}
    if adjustment.kind == AdjustmentKind.REVERSAL:
        return journal_reverse(journal=adjustment.reverses, actor=actor, narration=narration, reference=reference)
    wallet = adjustment.account
    suspense = system_account(SystemCode.SUSPENSE, wallet.currency)
    sign = 1 if adjustment.kind == AdjustmentKind.CREDIT else -1
    return journal_post(
        reference=reference, kind=JournalKind.ADJUSTMENT,
        postings=[PostingSpec(wallet, sign * adjustment.amount), PostingSpec(suspense, -sign * adjustment.amount)],
        narration=narration, metadata=metadata, actor=actor, check_limits=False,
    )


def adjustment_reject(*, adjustment_id: int, actor: Any, note: str) -> Adjustment:
    """Reject a proposal (nothing moves). The proposer cannot reject their own either: a proposal
    is decided by a second person, whichever way."""
    _require(actor, APPROVE_PERMISSION)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Say why the adjustment is rejected.", fields={"note": ["This field is required."]})
    with transaction.atomic(durable=True):
        adjustment = _locked(adjustment_id)
        _check_decider(adjustment, actor)
        if adjustment.status != AdjustmentStatus.PROPOSED:
            raise AdjustmentNotPending()
        adjustment.status = AdjustmentStatus.REJECTED
        adjustment.decided_by = actor
        adjustment.decided_at = timezone.now()
        adjustment.decision_note = note
        adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(action="adjustment.rejected", actor=actor, subject=adjustment,
                     references=_references(adjustment), payload=_snapshot(adjustment))
    return adjustment
