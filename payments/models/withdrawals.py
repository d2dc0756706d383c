"""Withdrawals: money out of a wallet to a Nigerian bank account through Monnify disbursements.

The hard case is the transfer whose outcome is unknown (a timeout, a 5xx, a PENDING that lasts):
it must never be paid twice and never be forgotten. So:

- `reference` (``wd_<hex>``) is ours, fixed when the row is created (derived from the API's
  idempotency record), and is the only reference ever sent to Monnify for this withdrawal. Monnify
  treats it as the idempotency key of the transfer; every later question ("what happened?") asks
  about this same reference.
- The customer's funds are *held* (amount + fee) before anything is sent, and captured only when
  Monnify confirms SUCCESS (or released when it confirms FAILED, or that it has no record of the
  transfer once the hold has expired).

States (docs/payments.md has the generated diagram):

    initiated ─► funds_held ─► submitted ─┬─► processing ─────────┬─► succeeded ─► reversed
        │            │          ▲   │     ├─► awaiting_authorization┤
        ▼            ▼          │   ▼     │                         └─► failed
      failed       failed       └─ unknown ┘

Transitions change fields only; services lock the row (`select_for_update`), call one, save, and
write its outbox event and audit record in the same transaction.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition


class WithdrawalState(models.TextChoices):
    INITIATED = "initiated", "Initiated"
    FUNDS_HELD = "funds_held", "Funds held"
    SUBMITTED = "submitted", "Submitted to Monnify"
    AWAITING_AUTHORIZATION = "awaiting_authorization", "Awaiting OTP authorization"
    PROCESSING = "processing", "Processing at Monnify"
    UNKNOWN = "unknown", "Outcome unknown (asking Monnify)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"


WITHDRAWAL_FINAL_STATES = (WithdrawalState.SUCCEEDED, WithdrawalState.FAILED, WithdrawalState.REVERSED)
# States in which Monnify may hold (or be about to hold) a transfer with our reference.
WITHDRAWAL_AT_PROVIDER_STATES = (WithdrawalState.SUBMITTED, WithdrawalState.UNKNOWN,
                                 WithdrawalState.AWAITING_AUTHORIZATION, WithdrawalState.PROCESSING)
WITHDRAWAL_PENDING_STATES = (WithdrawalState.INITIATED, WithdrawalState.FUNDS_HELD, *WITHDRAWAL_AT_PROVIDER_STATES)
# Payouts whose outcome we do not know yet: sent (or maybe sent) and no answer recorded.
WITHDRAWAL_UNKNOWN_STATES = (WithdrawalState.SUBMITTED, WithdrawalState.UNKNOWN)

_S = WithdrawalState


class Withdrawal(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    wallet = models.ForeignKey("wallets.LedgerAccount", on_delete=models.PROTECT, related_name="withdrawals")
    state = FSMField(default=_S.INITIATED, choices=_S.choices, protected=True, db_index=True)
    reference = models.CharField(max_length=64, unique=True,
                                 help_text="Ours (wd_...), fixed at creation; Monnify's disbursement reference")
    amount = models.BigIntegerField(help_text="kobo sent to the bank account")
    fee = models.BigIntegerField(default=0, help_text="kobo charged to the customer on top of the amount")
    currency = models.CharField(max_length=3, default="NGN")
    bank_code = models.CharField(max_length=10)
    bank_name = models.CharField(max_length=100, blank=True)
    account_number = models.CharField(max_length=10)
    account_name = models.CharField(max_length=200)
    narration = models.CharField(max_length=100, blank=True)
    hold_reference = models.CharField(max_length=128, blank=True, help_text="wallets.Hold reference")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    capture_reference = models.CharField(max_length=128, blank=True, help_text="ledger journal of the payout")
    reversal_reference = models.CharField(max_length=128, blank=True, help_text="ledger journal of the credit back")
    transaction_reference = models.CharField(max_length=100, blank=True, db_index=True,
                                             help_text="Monnify's MFDS... reference")
    provider_status = models.CharField(max_length=40, blank=True, help_text="Monnify's last status")
    provider_fee = models.BigIntegerField(null=True, blank=True, help_text="kobo Monnify charged us")
    failure_reason = models.CharField(max_length=255, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    check_attempts = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="withdrawal_user_created_idx"),
                   # The admin's search by destination account (cozonpay.backoffice.IndexedSearchMixin).
                   models.Index(fields=["account_number"], name="withdrawal_account_number_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="withdrawal_fee_non_negative"),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.reference} ({self.state})"

    def event_body(self) -> dict:
        """What this payment's outbox events and audit rows carry."""
        return {"amount": self.amount, "fee": self.fee, "currency": self.currency,
                "provider_status": self.provider_status, "failure_reason": self.failure_reason}

    def search_references(self) -> list:
        """Every identifier a person may search its audit trail by."""
        return [self.reference, self.transaction_reference, self.hold_reference, self.capture_reference,
                self.reversal_reference, self.public_id]

    @property
    def total(self) -> int:
        """What the wallet is debited: amount + fee."""
        return self.amount + self.fee

    @property
    def is_final(self) -> bool:
        return self.state in WITHDRAWAL_FINAL_STATES

    # --- transitions (fields only) ----------------------------------------------------------------

    @transition(field=state, source=_S.INITIATED, target=_S.FUNDS_HELD)
    def hold_placed(self, *, hold_reference: str, hold_expires_at) -> None:
        self.hold_reference = hold_reference
        self.hold_expires_at = hold_expires_at

    @transition(field=state, source=[_S.FUNDS_HELD, _S.SUBMITTED, _S.UNKNOWN], target=_S.SUBMITTED)
    def submit(self, *, next_check_at) -> None:
        """Claimed for a call to Monnify (the first, or again with the SAME reference after Monnify
        said it has no record of it)."""
        self.submit_attempts += 1
        self.submitted_at = timezone.now()
        self.next_check_at = next_check_at

    @transition(field=state, source=_S.AWAITING_AUTHORIZATION, target=_S.SUBMITTED)
    def authorization_submitted(self, *, next_check_at) -> None:
        """Claimed for a validate-otp call (Finance entered the code)."""
        self.next_check_at = next_check_at

    @transition(field=state, source=_S.SUBMITTED, target=_S.UNKNOWN)
    def outcome_unknown(self, *, reason: str, next_check_at) -> None:
        self.failure_reason = reason[:255]
        self.next_check_at = next_check_at

    @transition(field=state, source=[_S.SUBMITTED, _S.UNKNOWN], target=_S.AWAITING_AUTHORIZATION)
    def authorization_required(self, *, provider_status: str, transaction_reference: str = "") -> None:
        self.provider_status = provider_status
        self.transaction_reference = transaction_reference or self.transaction_reference
        self.failure_reason = ""

    @transition(field=state, source=[_S.SUBMITTED, _S.UNKNOWN, _S.AWAITING_AUTHORIZATION], target=_S.PROCESSING)
    def accepted(self, *, provider_status: str, transaction_reference: str = "") -> None:
        self.provider_status = provider_status
        self.transaction_reference = transaction_reference or self.transaction_reference
        self.failure_reason = ""

    @transition(field=state, source=list(WITHDRAWAL_AT_PROVIDER_STATES), target=_S.SUCCEEDED)
    def succeed(self, *, provider_status: str, transaction_reference: str, capture_reference: str,
                provider_fee: int | None = None) -> None:
        self.provider_status = provider_status
        self.transaction_reference = transaction_reference or self.transaction_reference
        self.capture_reference = capture_reference
        self.provider_fee = provider_fee if provider_fee is not None else self.provider_fee
        self.failure_reason = ""
        self.completed_at = timezone.now()
        self.next_check_at = None

    @transition(field=state, source=list(WITHDRAWAL_PENDING_STATES), target=_S.FAILED)
    def fail(self, *, reason: str, provider_status: str = "", transaction_reference: str = "") -> None:
        """Refused or failed: nothing was paid out, the hold (if any) is released."""
        self.failure_reason = reason[:255]
        self.provider_status = provider_status or self.provider_status
        self.transaction_reference = transaction_reference or self.transaction_reference
        self.completed_at = timezone.now()
        self.next_check_at = None

    @transition(field=state, source=_S.AWAITING_AUTHORIZATION, target=_S.FAILED)
    def reject(self, *, reason: str) -> None:
        """Finance declined to authorize the transfer; the hold is released."""
        self.failure_reason = reason[:255]
        self.completed_at = timezone.now()
        self.next_check_at = None

    @transition(field=state, source=_S.SUCCEEDED, target=_S.REVERSED)
    def reverse(self, *, provider_status: str, reversal_reference: str) -> None:
        self.provider_status = provider_status
        self.reversal_reference = reversal_reference
        self.next_check_at = None
