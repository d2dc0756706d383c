"""Refunds of deposits through Monnify's refund API.

A refund sends a collection (all or part of it) back to the payer. Two origins:

- ``auto``: a verified payment that could not be credited (wallet closed, limit exceeded, partly
  paid...): the deposit waits in ``refund_pending``; its money never entered a wallet, so the refund
  moves nothing in the ledger, and on completion the deposit becomes ``refunded``. At most one
  automatic refund per deposit (a partial unique constraint).
- ``staff``: Finance refunds a deposit from the admin. If the deposit was credited, the wallet
  gives the money back: a hold is placed on the wallet before Monnify is asked, captured into
  Monnify clearing when Monnify confirms the refund, released if it fails.

    requested ─► submitted ─► completed
        │            │
        └────────────┴──────► failed

``reference`` (``rf_<hex>``) is ours, Monnify's ``refundReference``, fixed at creation: an unknown
outcome is resolved by asking about the same reference (refund_get); it is resubmitted (same
reference) only when Monnify says it has no record of it (R7 / 404).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition


class RefundState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUBMITTED = "submitted", "Submitted to Monnify"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class RefundOrigin(models.TextChoices):
    AUTO = "auto", "Automatic (deposit could not be credited)"
    STAFF = "staff", "Requested by staff"


REFUND_FINAL_STATES = (RefundState.COMPLETED, RefundState.FAILED)
REFUND_PENDING_STATES = (RefundState.REQUESTED, RefundState.SUBMITTED)

_R = RefundState


class Refund(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds")
    wallet = models.ForeignKey("wallets.LedgerAccount", on_delete=models.PROTECT, related_name="refunds")
    deposit = models.ForeignKey("payments.Deposit", on_delete=models.PROTECT, related_name="refunds")
    origin = models.CharField(max_length=8, choices=RefundOrigin.choices)
    state = FSMField(default=_R.REQUESTED, choices=_R.choices, protected=True, db_index=True)
    reference = models.CharField(max_length=64, unique=True, help_text="Ours (rf_...); Monnify's refundReference")
    transaction_reference = models.CharField(max_length=100, help_text="Monnify's reference of the payment")
    amount = models.BigIntegerField(help_text="kobo")
    currency = models.CharField(max_length=3, default="NGN")
    reason = models.CharField(max_length=64)
    customer_note = models.CharField(max_length=16, blank=True)
    destination_account_number = models.CharField(max_length=10, blank=True)
    destination_bank_code = models.CharField(max_length=10, blank=True)
    debits_wallet = models.BooleanField(default=False, help_text="The deposit was credited: the wallet pays it back")
    hold_reference = models.CharField(max_length=128, blank=True)
    capture_reference = models.CharField(max_length=128, blank=True)
    provider_status = models.CharField(max_length=32, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    requested_by = models.CharField(max_length=255, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["deposit"], condition=models.Q(origin="auto"),
                                    name="refund_one_auto_per_deposit"),
        ]
        # The admin's search by Monnify's reference of the payment (cozonpay.backoffice.IndexedSearchMixin).
        indexes = [models.Index(fields=["transaction_reference"], name="refund_transaction_ref_idx")]

    def __str__(self) -> str:
        return f"refund {self.reference} ({self.state})"

    def event_body(self) -> dict:
        """What this payment's outbox events and audit rows carry."""
        return {"amount": self.amount, "currency": self.currency, "origin": self.origin,
                "failure_reason": self.failure_reason, "transaction_reference": self.transaction_reference}

    def search_references(self) -> list:
        """Every identifier a person may search its audit trail by."""
        return [self.reference, self.transaction_reference, self.hold_reference, self.capture_reference, self.public_id]

    @property
    def is_final(self) -> bool:
        return self.state in REFUND_FINAL_STATES

    @transition(field=state, source=[_R.REQUESTED, _R.SUBMITTED], target=_R.SUBMITTED)
    def submit(self, *, next_check_at) -> None:
        self.submit_attempts += 1
        self.next_check_at = next_check_at

    @transition(field=state, source=_R.SUBMITTED, target=_R.COMPLETED)
    def complete(self, *, provider_status: str, capture_reference: str = "") -> None:
        self.provider_status = provider_status
        self.capture_reference = capture_reference
        self.failure_reason = ""
        self.completed_at = timezone.now()
        self.next_check_at = None

    @transition(field=state, source=[_R.REQUESTED, _R.SUBMITTED], target=_R.FAILED)
    def fail(self, *, reason: str, provider_status: str = "") -> None:
        self.failure_reason = reason[:255]
        self.provider_status = provider_status or self.provider_status
        self.completed_at = timezone.now()
        self.next_check_at = None
