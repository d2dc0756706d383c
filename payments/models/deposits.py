"""Deposits and the wallets' dedicated deposit accounts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition

from cozonpay.fsm import ProtectedStateRefreshMixin

# --- Deposits ------------------------------------------------------------------------------------
#
# A deposit is money a customer sends us through Monnify: a hosted checkout we initialize
# (`checkout`), or a bank transfer into the wallet's dedicated account (`bank_transfer`). Nothing
# but Monnify's status API decides that it is paid; the webhook, the redirect and the init response
# are only reasons to ask. States (docs/payments.md has the diagram):
#
#   initiated ─► awaiting_payment ─► verifying ─► credited ─► settled
#        │              │   ▲            │  │         │
#        ▼              ▼   └────────────┘  │         └──► reversed (Monnify reversed it)
#      failed   failed/expired              └──► refund_pending ─► refunded  (cannot credit)
#
# Bank transfers are born in `verifying` (Monnify says money arrived; we check before crediting).


class DepositChannel(models.TextChoices):
    CHECKOUT = "checkout", "Hosted checkout"
    BANK_TRANSFER = "bank_transfer", "Bank transfer to the dedicated account"


class DepositState(models.TextChoices):
    INITIATED = "initiated", "Initiated"
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    VERIFYING = "verifying", "Verifying with Monnify"
    CREDITED = "credited", "Credited"
    SETTLED = "settled", "Settled by Monnify"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    REFUND_PENDING = "refund_pending", "Refund pending"
    REFUNDED = "refunded", "Refunded"
    REVERSED = "reversed", "Reversed"


DEPOSIT_FINAL_STATES = (DepositState.SETTLED, DepositState.FAILED, DepositState.EXPIRED,
                        DepositState.REFUNDED, DepositState.REVERSED)
DEPOSIT_PENDING_STATES = (DepositState.INITIATED, DepositState.AWAITING_PAYMENT, DepositState.VERIFYING)


class DepositFlag(models.TextChoices):
    NONE = "", "None"
    OVERPAID = "overpaid", "Overpaid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount differs from Monnify's record"
    NOT_CREDITABLE = "not_creditable", "Could not be credited"


class DepositAccount(models.Model):
    """A wallet's dedicated (reserved) bank account at Monnify: accountReference = wallet id."""

    id = models.BigAutoField(primary_key=True)
    wallet = models.ForeignKey("wallets.LedgerAccount", on_delete=models.PROTECT, related_name="deposit_accounts")
    account_reference = models.CharField(max_length=64, db_index=True)
    reservation_reference = models.CharField(max_length=64, blank=True)
    bank_code = models.CharField(max_length=10)
    bank_name = models.CharField(max_length=100)
    account_number = models.CharField(max_length=10)
    account_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "account_number"], name="deposit_account_nuban_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number}"


class Deposit(ProtectedStateRefreshMixin, models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits")
    wallet = models.ForeignKey("wallets.LedgerAccount", on_delete=models.PROTECT, related_name="deposits")
    channel = models.CharField(max_length=16, choices=DepositChannel.choices)
    state = FSMField(default=DepositState.INITIATED, choices=DepositState.choices, protected=True, db_index=True)
    payment_reference = models.CharField(max_length=100, unique=True,
                                         help_text="Ours for checkouts; Monnify's for bank transfers")
    transaction_reference = models.CharField(max_length=100, unique=True, null=True, blank=True,
                                             help_text="Monnify's MNFY|.. reference")
    currency = models.CharField(max_length=3, default="NGN")
    amount = models.BigIntegerField(help_text="kobo expected (checkout) or reported (bank transfer)")
    amount_paid = models.BigIntegerField(default=0, help_text="kobo Monnify confirmed as paid")
    amount_credited = models.BigIntegerField(default=0, help_text="kobo credited to the wallet")
    provider_status = models.CharField(max_length=32, blank=True, help_text="Monnify's last paymentStatus")
    flag = models.CharField(max_length=20, choices=DepositFlag.choices, blank=True, default="", db_index=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    journal_reference = models.CharField(max_length=255, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    check_attempts = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    credited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="deposit_user_created_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="deposit_amount_positive"),
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0, amount_credited__gte=0),
                                   name="deposit_amounts_non_negative"),
        ]

    def __str__(self) -> str:
        return f"deposit {self.payment_reference} ({self.state})"

    def event_body(self) -> dict:
        """What this payment's outbox events and audit rows carry."""
        return {"amount": self.amount, "amount_paid": self.amount_paid, "currency": self.currency,
                "channel": self.channel, "flag": self.flag}

    def search_references(self) -> list:
        """Every identifier a person may search its audit trail by."""
        return [self.payment_reference, self.transaction_reference, self.journal_reference, self.public_id]

    @property
    def reference(self) -> str:
        return self.payment_reference

    # Transitions change fields only; services lock the row, call them, save, and emit the event.

    @transition(field=state, source=DepositState.INITIATED, target=DepositState.AWAITING_PAYMENT)
    def provider_submitted(self, *, transaction_reference: str, checkout_url: str, expires_at) -> None:
        self.transaction_reference = transaction_reference
        self.checkout_url = checkout_url
        self.expires_at = expires_at

    @transition(field=state, source=[DepositState.INITIATED, DepositState.AWAITING_PAYMENT, DepositState.VERIFYING],
                target=DepositState.FAILED)
    def fail(self, *, reason: str, provider_status: str = "") -> None:
        self.failure_reason = reason[:255]
        self.provider_status = provider_status or self.provider_status

    @transition(field=state, source=[DepositState.INITIATED, DepositState.AWAITING_PAYMENT, DepositState.VERIFYING],
                target=DepositState.EXPIRED)
    def expire(self, *, provider_status: str = "") -> None:
        self.provider_status = provider_status or self.provider_status

    @transition(field=state, source=DepositState.AWAITING_PAYMENT, target=DepositState.VERIFYING)
    def verification_started(self) -> None:
        pass

    @transition(field=state, source=DepositState.VERIFYING, target=DepositState.AWAITING_PAYMENT)
    def still_pending(self, *, provider_status: str) -> None:
        self.provider_status = provider_status

    @transition(field=state, source=[DepositState.AWAITING_PAYMENT, DepositState.VERIFYING],
                target=DepositState.CREDITED)
    def confirm(self, *, amount_paid: int, provider_status: str, journal_reference: str, flag: str = "") -> None:
        self.amount_paid = amount_paid
        self.amount_credited = amount_paid
        self.provider_status = provider_status
        self.journal_reference = journal_reference
        self.flag = flag or self.flag
        self.credited_at = timezone.now()

    @transition(field=state, source=[DepositState.AWAITING_PAYMENT, DepositState.VERIFYING],
                target=DepositState.REFUND_PENDING)
    def credit_refused(self, *, amount_paid: int, provider_status: str, reason: str, flag: str) -> None:
        self.amount_paid = amount_paid
        self.provider_status = provider_status
        self.failure_reason = reason[:255]
        self.flag = flag

    @transition(field=state, source=DepositState.REFUND_PENDING, target=DepositState.REFUNDED)
    def refunded(self) -> None:
        pass

    @transition(field=state, source=DepositState.CREDITED, target=DepositState.SETTLED)
    def settle(self) -> None:
        pass

    @transition(field=state, source=[DepositState.CREDITED, DepositState.SETTLED], target=DepositState.REVERSED)
    def reverse(self, *, provider_status: str) -> None:
        self.provider_status = provider_status


class DepositAccountRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    OPENED = "opened", "Opened"


class DepositAccountRequest(models.Model):
    """The wallet's request for a dedicated account at Monnify, retried until it succeeds.

    Monnify needs the BVN or NIN to open it. They are kept encrypted (Fernet, KYC_ENCRYPTION_KEY)
    only until the account is opened, then wiped; no other copy exists."""

    id = models.BigAutoField(primary_key=True)
    wallet = models.OneToOneField("wallets.LedgerAccount", on_delete=models.PROTECT,
                                  related_name="deposit_account_request")
    status = models.CharField(max_length=10, choices=DepositAccountRequestStatus.choices,
                              default=DepositAccountRequestStatus.PENDING, db_index=True)
    bvn_ciphertext = models.TextField(blank=True)
    nin_ciphertext = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"deposit account request for wallet {self.wallet_id} ({self.status})"
