"""Disputes: a customer says something is wrong with one of their transactions.

    open ──► investigating ──► resolved  (outcome: reversal | refund | goodwill_credit | no_money)
      │            │
      └────────────┴─────────► rejected

A dispute names the customer's transaction by the reference they see (a deposit's payment
reference, a transfer's or any ledger journal's reference touching their wallet); the journal
behind it is kept so that a reversal knows what to reverse. The customer sees the status and the
public `resolution_note`; staff also see internal `DisputeNote`s and the audit timeline. Money
only moves through the ledger (a reversal of the disputed journal), through Monnify (a refund), or
through a maker-checker adjustment (a goodwill credit). At most one active dispute per
(customer, reference), enforced by a partial unique index.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


DISPUTE_ACTIVE_STATES = (DisputeStatus.OPEN, DisputeStatus.INVESTIGATING)


class DisputeReason(models.TextChoices):
    NOT_RECEIVED = "not_received", "Money not received"
    WRONG_AMOUNT = "wrong_amount", "Wrong amount"
    DUPLICATE = "duplicate", "Charged more than once"
    UNAUTHORIZED = "unauthorized", "I did not make this transaction"
    SENT_IN_ERROR = "sent_in_error", "Sent to the wrong person"
    OTHER = "other", "Something else"


class DisputeOutcome(models.TextChoices):
    NONE = "", "-"
    REVERSAL = "reversal", "Reversal through the ledger"
    REFUND = "refund", "Refund through Monnify"
    GOODWILL_CREDIT = "goodwill_credit", "Goodwill credit (adjustment, two people)"
    NO_MONEY = "no_money", "No money moved"


MONEY_OUTCOMES = (DisputeOutcome.REVERSAL, DisputeOutcome.REFUND, DisputeOutcome.GOODWILL_CREDIT)


class DisputeSubject(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    TRANSFER = "transfer", "Transfer"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    JOURNAL = "journal", "Ledger entry"


class Dispute(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes")
    reference = models.CharField(max_length=255, help_text="The transaction's reference, as the customer gave it")
    subject_type = models.CharField(max_length=16, choices=DisputeSubject.choices)
    journal_reference = models.CharField(max_length=255, blank=True, help_text="The ledger journal behind it")
    amount = models.BigIntegerField(null=True, blank=True, help_text="kobo of the disputed transaction")
    currency = models.CharField(max_length=3, default="NGN")
    reason = models.CharField(max_length=32, choices=DisputeReason.choices)
    description = models.TextField(max_length=2000)
    status = FSMField(default=DisputeStatus.OPEN, choices=DisputeStatus.choices, protected=True, db_index=True)
    outcome = models.CharField(max_length=20, choices=DisputeOutcome.choices, blank=True, default="")
    resolution_note = models.TextField(blank=True, help_text="Shown to the customer")
    resolution_reference = models.CharField(max_length=255, blank=True,
                                            help_text="The journal, refund or adjustment that settled it")
    adjustment = models.ForeignKey("wallets.Adjustment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="Staff who opened it for the customer (else empty)")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    investigating_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = [
            ("annotate_dispute", "Can add internal notes to disputes and start investigating"),
            ("resolve_dispute", "Can resolve or reject disputes"),
            ("resolve_dispute_with_money", "Can resolve disputes with money (reversal, refund, goodwill credit)"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="dispute_user_created_idx"),
                   # The admin's search (cozonpay.backoffice.IndexedSearchMixin).
                   models.Index(fields=["reference"], name="dispute_reference_idx"),
                   models.Index(fields=["journal_reference"], name="dispute_journal_reference_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "reference"],
                                    condition=models.Q(status__in=["open", "investigating"]),
                                    name="dispute_one_active_per_reference"),
            models.CheckConstraint(
                condition=(models.Q(status__in=["open", "investigating"], outcome="")
                           | models.Q(status="rejected", outcome="")
                           | (models.Q(status="resolved") & ~models.Q(outcome=""))),
                name="dispute_outcome_only_when_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {str(self.public_id)[:8]} on {self.reference[:60]} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in DISPUTE_ACTIVE_STATES

    @property
    def target_at(self):
        return self.created_at + timedelta(hours=settings.DISPUTE_TARGET_HOURS)

    @property
    def age(self) -> timedelta:
        return (self.closed_at or timezone.now()) - self.created_at

    @property
    def overdue(self) -> bool:
        return (self.closed_at or timezone.now()) > self.target_at

    # Transitions change fields only; payments/services/disputes.py locks, calls, saves, emits, audits.

    @transition(field=status, source=DisputeStatus.OPEN, target=DisputeStatus.INVESTIGATING)
    def investigate(self) -> None:
        self.investigating_at = timezone.now()

    @transition(field=status, source=[DisputeStatus.OPEN, DisputeStatus.INVESTIGATING], target=DisputeStatus.RESOLVED)
    def resolve(self, *, outcome: str, note: str, by, resolution_reference: str = "") -> None:
        self.outcome = outcome
        self.resolution_note = note
        self.resolution_reference = resolution_reference
        self.closed_by = by
        self.closed_at = timezone.now()

    @transition(field=status, source=[DisputeStatus.OPEN, DisputeStatus.INVESTIGATING], target=DisputeStatus.REJECTED)
    def reject(self, *, note: str, by) -> None:
        self.resolution_note = note
        self.closed_by = by
        self.closed_at = timezone.now()


class DisputeNote(models.Model):
    """An internal note by staff (never shown to the customer)."""

    id = models.BigAutoField(primary_key=True)
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"note on {self.dispute_id} by {self.author_id}"
