"""Disputes: customers open them on their own transactions; staff move them to a close.

Permissions (cozonpay/users/roles.py): opening for a customer needs `payments.add_dispute`,
notes and investigating `payments.annotate_dispute` (Support), closing `payments.resolve_dispute`
and any outcome that moves money also `payments.resolve_dispute_with_money` (Finance). Services
check them again, whatever screen called them.

Every step is one transaction with its outbox event (`dispute.opened`, `dispute.investigating`,
`dispute.resolved`, `dispute.rejected`: payments/handlers/disputes.py notifies the customer) and
its audit record (references: the dispute's id, `dispute:<id>`, and the disputed reference, so
the dispute's page shows the dispute's and the transaction's history together).

Money. A resolution that moves money does it before the dispute's row changes, through a step
that is idempotent by its own reference, and then records the outcome under a row lock:
* `reversal`: `journal_reverse` of the disputed journal, reference `dispute:<id>:reversal`
  (a ledger correction: a transfer sent in error comes back, a wrong debit is undone);
* `goodwill_credit`: a manual credit, so it goes through maker-checker: the first resolve
  proposes an adjustment (source `dispute:<id>`); once a different Finance user approved it, the
  second resolve closes the dispute with the adjustment's journal;
* `refund`: money back to the payer's bank through Monnify (deposits only), via the refunds
  service of issue 8 once it exists (`_refund_through_monnify` is the seam);
* `no_money`: nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from cozonpay.exceptions import DomainError, Forbidden, InvalidStateTransition, NotFound, ValidationFailed
from wallets.models import Adjustment, AdjustmentStatus, Journal, LedgerAccount

from ..events.services import outbox_emit
from ..models import (
    DISPUTE_ACTIVE_STATES,
    Deposit,
    Dispute,
    DisputeNote,
    DisputeOutcome,
    DisputeReason,
    DisputeSubject,
)

ANNOTATE = "payments.annotate_dispute"
RESOLVE = "payments.resolve_dispute"
RESOLVE_WITH_MONEY = "payments.resolve_dispute_with_money"
OPEN_FOR_CUSTOMER = "payments.add_dispute"


class DisputeExists(DomainError):
    code = "dispute_exists"
    http_status = 409
    default_message = "You already have an open dispute about this transaction."


class DisputeClosed(InvalidStateTransition):
    code = "dispute_closed"
    default_message = "This dispute is already closed."


def _require(user, *perms: str) -> None:
    if not (user is not None and user.is_active and user.is_staff and all(user.has_perm(p) for p in perms)):
        raise Forbidden()


# --- What is being disputed ---------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeTarget:
    subject_type: str
    journal_reference: str
    amount: int | None
    currency: str = "NGN"


def withdrawal_target(*, user, reference: str) -> DisputeTarget | None:
    """The customer's withdrawal with this reference, if any."""
    from ..models import Withdrawal

    withdrawal = Withdrawal.objects.filter(user=user, reference=reference).first()
    if withdrawal is None:
        return None
    # The payout's journal (empty until Monnify confirmed it: nothing to reverse yet).
    return DisputeTarget(subject_type=DisputeSubject.WITHDRAWAL, journal_reference=withdrawal.capture_reference,
                         amount=withdrawal.amount + withdrawal.fee, currency=withdrawal.currency)


def dispute_target_find(*, user, reference: str) -> DisputeTarget:
    """The customer's own transaction with this reference: a deposit (payment or Monnify reference),
    a withdrawal, or a ledger journal (a transfer, a fee, a refund...) touching one of their
    wallets. Anything else, including another customer's transaction, is NotFound."""
    reference = reference.strip()
    deposit = (Deposit.objects.filter(user=user)
               .filter(Q(payment_reference=reference) | Q(transaction_reference=reference)).first())
    if deposit is not None:
        return DisputeTarget(DisputeSubject.DEPOSIT, deposit.journal_reference,
                             deposit.amount_paid or deposit.amount, deposit.currency)
    withdrawal = withdrawal_target(user=user, reference=reference)
    if withdrawal is not None:
        return withdrawal
    wallet_ids = list(LedgerAccount.objects.filter(owner=user).values_list("id", flat=True))
    journal = Journal.objects.filter(reference=reference, postings__account_id__in=wallet_ids).distinct().first()
    if journal is not None:
        mine = [p for p in journal.postings.all() if p.account_id in wallet_ids]
        subject = DisputeSubject.TRANSFER if journal.kind == "transfer" else DisputeSubject.JOURNAL
        return DisputeTarget(subject, journal.reference, abs(sum(p.amount for p in mine)) or None,
                             mine[0].currency if mine else "NGN")
    raise NotFound("No transaction of yours has this reference.", code="transaction_not_found",
                   fields={"reference": ["No transaction of yours has this reference."]})


# --- Steps ------------------------------------------------------------------------------------


def _references(dispute: Dispute, *extra: str) -> list[str]:
    return [str(dispute.public_id), f"dispute:{dispute.public_id}", dispute.reference, dispute.journal_reference,
            *extra]


def _emit(dispute: Dispute, event_type: str, *, actor, action: str, before: str, payload: dict | None = None) -> None:
    body = {"dispute": str(dispute.public_id), "user": str(dispute.user_id), "status": dispute.status,
            "from": before, "outcome": dispute.outcome, "reference": dispute.reference, **(payload or {})}
    outbox_emit(event_type=event_type, aggregate=dispute, payload=body, reference=f"dispute:{dispute.public_id}")
    audit_record(action=action, actor=actor, subject=dispute, references=_references(dispute),
                 payload={**body, "resolution_note": dispute.resolution_note})


def dispute_open(*, user, reference: str, reason: str, description: str, actor=None) -> Dispute:
    """Open a dispute on one of `user`'s transactions (by the customer, or by staff for them)."""
    if actor is not None and actor != user:
        _require(actor, OPEN_FOR_CUSTOMER)
    if reason not in DisputeReason.values:
        raise ValidationFailed(fields={"reason": [f"Must be one of: {', '.join(DisputeReason.values)}."]})
    description = (description or "").strip()
    if not description:
        raise ValidationFailed(fields={"description": ["This field may not be blank."]})
    target = dispute_target_find(user=user, reference=reference)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    user=user, reference=reference.strip(), subject_type=target.subject_type,
                    journal_reference=target.journal_reference, amount=target.amount, currency=target.currency,
                    reason=reason, description=description[:2000],
                    opened_by=actor if actor is not None and actor != user else None,
                )
        except IntegrityError:
            raise DisputeExists()
        _emit(dispute, "dispute.opened", actor=actor or user, action="dispute.opened", before="",
              payload={"subject_type": dispute.subject_type, "reason": reason})
    return dispute


def _locked(dispute_id: int) -> Dispute:
    return Dispute.objects.select_for_update(of=("self",)).select_related("user").get(pk=dispute_id)


def dispute_note_add(*, dispute_id: int, actor, body: str) -> DisputeNote:
    """An internal note (the customer never sees it); allowed on closed disputes too."""
    _require(actor, ANNOTATE)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(fields={"note": ["This field is required."]})
    with transaction.atomic(durable=True):
        dispute = _locked(dispute_id)
        note = DisputeNote.objects.create(dispute=dispute, author=actor, body=body)
        audit_record(action="dispute.note_added", actor=actor, subject=dispute, references=_references(dispute),
                     payload={"note": body})
    return note


def dispute_investigate(*, dispute_id: int, actor, note: str = "") -> Dispute:
    _require(actor, ANNOTATE)
    with transaction.atomic(durable=True):
        dispute = _locked(dispute_id)
        if dispute.status != "open":
            raise InvalidStateTransition(f"The dispute is {dispute.status}.")
        before = dispute.status
        dispute.investigate()
        dispute.updated_at = timezone.now()
        dispute.save()
        if note.strip():
            DisputeNote.objects.create(dispute=dispute, author=actor, body=note.strip())
        _emit(dispute, "dispute.investigating", actor=actor, action="dispute.investigating", before=before)
    return dispute


def dispute_reject(*, dispute_id: int, actor, note: str) -> Dispute:
    """Close without money; the note is shown to the customer."""
    _require(actor, RESOLVE)
    note = _public_note(note)
    with transaction.atomic(durable=True):
        dispute = _locked(dispute_id)
        if dispute.status not in DISPUTE_ACTIVE_STATES:
            raise DisputeClosed()
        before = dispute.status
        dispute.reject(note=note, by=actor)
        dispute.updated_at = timezone.now()
        dispute.save()
        _emit(dispute, "dispute.rejected", actor=actor, action="dispute.rejected", before=before)
    return dispute


def _public_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Write the resolution note the customer will read.",
                               fields={"note": ["This field is required."]})
    return note


@dataclass(frozen=True)
class ResolveResult:
    dispute: Dispute
    resolved: bool
    message: str


def dispute_resolve(*, dispute_id: int, actor, outcome: str, note: str, amount: int | None = None) -> ResolveResult:
    """Resolve with `outcome` (see the module docstring). Returns whether the dispute is now
    resolved; a goodwill credit first comes back unresolved, waiting for the second approval."""
    _require(actor, RESOLVE)
    if outcome not in DisputeOutcome.values or outcome == DisputeOutcome.NONE:
        raise ValidationFailed(fields={"outcome": [f"Must be one of: {', '.join(DisputeOutcome.values[1:])}."]})
    if outcome != DisputeOutcome.NO_MONEY:
        _require(actor, RESOLVE, RESOLVE_WITH_MONEY)
    note = _public_note(note)
    dispute = Dispute.objects.select_related("user").get(pk=dispute_id)
    if not dispute.is_active:
        raise DisputeClosed()

    resolution_reference = ""
    if outcome == DisputeOutcome.REVERSAL:
        resolution_reference = _reverse(dispute, actor)
    elif outcome == DisputeOutcome.REFUND:
        resolution_reference = _refund_through_monnify(dispute, actor, amount)
    elif outcome == DisputeOutcome.GOODWILL_CREDIT:
        adjustment = _goodwill_adjustment(dispute, actor, amount, note)
        if adjustment.status != AdjustmentStatus.APPROVED:
            return ResolveResult(Dispute.objects.get(pk=dispute_id), False,
                                 f"Goodwill credit proposed ({adjustment.reference}); a different Finance user must "
                                 "approve it, then resolve the dispute again.")
        resolution_reference = adjustment.journal.reference

    with transaction.atomic(durable=True):
        dispute = _locked(dispute_id)
        if dispute.status not in DISPUTE_ACTIVE_STATES:
            # Closed by someone else meanwhile; the money step (if any) is on the record, linked by reference.
            audit_record(action="dispute.money_after_close", actor=actor, subject=dispute,
                         references=_references(dispute, resolution_reference),
                         payload={"outcome": outcome, "resolution_reference": resolution_reference})
            raise DisputeClosed()
        before = dispute.status
        dispute.resolve(outcome=outcome, note=note, by=actor, resolution_reference=resolution_reference)
        dispute.updated_at = timezone.now()
        dispute.save()
        _emit(dispute, "dispute.resolved", actor=actor, action="dispute.resolved", before=before,
              payload={"resolution_reference": resolution_reference})
    return ResolveResult(dispute, True, "Dispute resolved.")


def _reverse(dispute: Dispute, actor) -> str:
    from wallets.exceptions import AlreadyReversed
    from wallets.services import journal_reverse

    journal = Journal.objects.filter(reference=dispute.journal_reference).first() if dispute.journal_reference else None
    if journal is None:
        raise DomainError("This transaction has no ledger entry to reverse.", code="nothing_to_reverse")
    reference = f"dispute:{dispute.public_id}:reversal"
    try:
        reversal = journal_reverse(journal=journal, actor=actor, reference=reference,
                                   narration=f"Dispute {dispute.public_id}: reversal of {journal.reference}")
    except AlreadyReversed:
        raise DomainError("This transaction was already reversed by another correction; resolve without money "
                          "and say so in the note.", code="already_reversed", http_status=409)
    return reversal.reference


def _refund_through_monnify(dispute: Dispute, actor, amount: int | None) -> str:
    """Refund a disputed deposit through Monnify's refund API (payments.services.refunds): the
    wallet is held for the amount first (refused if the money is spent), captured when Monnify
    completes the refund, released if it fails. Deposits only: other money goes back by reversal."""
    from ..models import RefundOrigin
    from .refunds import refund_request_for_deposit

    if dispute.subject_type != DisputeSubject.DEPOSIT:
        raise DomainError("Only a deposit can be refunded through Monnify; use a reversal.", code="refund_unavailable")
    deposit = (Deposit.objects.filter(user=dispute.user_id, payment_reference=dispute.reference).first()
               or Deposit.objects.filter(user=dispute.user_id, journal_reference=dispute.journal_reference)
               .exclude(journal_reference="").first())
    if deposit is None:
        raise DomainError("The disputed deposit was not found.", code="refund_unavailable")
    refund = refund_request_for_deposit(deposit=deposit, actor=actor, reason=f"dispute {dispute.public_id}",
                                        origin=RefundOrigin.STAFF, amount=amount)
    return refund.reference


def _goodwill_adjustment(dispute: Dispute, actor, amount: int | None, note: str) -> Adjustment:
    from wallets.services.adjustments import adjustment_propose

    source = f"dispute:{dispute.public_id}"
    live = (Adjustment.objects.filter(source_reference=source)
            .exclude(status__in=[AdjustmentStatus.REJECTED, AdjustmentStatus.FAILED]).order_by("-id").first())
    if live is not None:
        if live.status != AdjustmentStatus.APPROVED:
            raise DomainError(f"The goodwill credit {live.reference} is waiting for a second Finance approval.",
                              code="awaiting_approval", http_status=409)
        return live
    if amount is None:
        raise ValidationFailed("Give the amount of the goodwill credit.", fields={"amount": ["Required."]})
    wallet = LedgerAccount.objects.filter(owner_id=dispute.user_id, kind="customer_wallet",
                                          currency=dispute.currency).first()
    if wallet is None:
        raise NotFound("The customer has no wallet to credit.")
    adjustment = adjustment_propose(kind="credit", account=wallet, amount=amount, actor=actor,
                                    reason=f"Goodwill credit for dispute {dispute.public_id}: {note}"[:2000],
                                    source_reference=source)
    with transaction.atomic(durable=True):
        locked = _locked(dispute.pk)
        locked.adjustment = adjustment
        locked.save(update_fields=["adjustment"])
        audit_record(action="dispute.goodwill_proposed", actor=actor, subject=locked,
                     references=_references(locked, adjustment.reference),
                     payload={"adjustment": adjustment.reference, "amount": amount})
    return adjustment
