"""The ledger: double-entry accounts, journals, postings and holds, in integer kobo.

Design overview
---------------
* A `LedgerAccount` is either a customer wallet (one per user per currency, opened at
  registration) or a system account (Monnify clearing, fees revenue, withdrawals in flight,
  suspense; one per currency, created by a data migration and self-healed by
  `services.system_account`).
* Every money movement is one `Journal` (unique `reference`, the idempotency key) with two or
  more `Posting`s whose signed amounts sum to zero per currency. Postings and journals are
  append-only: corrections are new reversing journals (`Journal.reverses`, unique, so a
  journal is reversed at most once).
* Accounts that may not go negative (`allow_negative=False`: every customer wallet) carry a
  cached `balance` and `held`, changed only by one conditional `UPDATE ... RETURNING` per
  account per journal (wallets/locks.py), in ascending account id order; the returned balance
  is written to `Posting.balance_after`. That row is also where the day's outflow counter lives
  (`outflow_day`, `outflow_total`), so the KYC daily limit is enforced by the same statement
  that moves the money: two concurrent debits cannot both pass it.
* Accounts that may go negative (`allow_negative=True`: system accounts) are never locked or
  updated by a posting: their balance is derived from their postings (`balance_after` is NULL)
  so that the accounts every journal touches are not a hot row serializing the write path.
* A `Hold` reserves funds on a wallet (`held += amount` only where available >= amount); it is
  then captured (a journal moves up to its amount; the rest is released), released, or expires.
* An `Adjustment` is a correction staff make by hand (a credit, a debit or the reversal of a
  journal) under maker-checker: one Finance user proposes it with a reason, a different one
  approves it (a CHECK constraint refuses approver == proposer), and only the approval posts a
  journal, against the suspense account, with the reference `adjustment:<public_id>`.
* The database is the last guard (wallets/sql/*.sql): CHECK constraints on balance and held,
  non-zero posting amounts, posting currency == account currency, a deferred constraint
  trigger rejecting at COMMIT any journal whose postings do not sum to zero per currency, and
  triggers rejecting UPDATE, DELETE and TRUNCATE of journals and postings.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccountKind(models.TextChoices):
    CUSTOMER_WALLET = "customer_wallet", "Customer wallet"
    SYSTEM = "system", "System account"


class SystemCode(models.TextChoices):
    MONNIFY_CLEARING = "monnify_clearing", "Monnify clearing"
    FEES_REVENUE = "fees_revenue", "Fees revenue"
    WITHDRAWALS_IN_FLIGHT = "withdrawals_in_flight", "Withdrawals in flight"
    SUSPENSE = "suspense", "Suspense"
    PROVIDER_FEES = "provider_fees", "Provider fees (Monnify's charges, an expense)"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen (no debits)"
    CLOSED = "closed", "Closed (no debits, no credits)"


class LedgerAccount(models.Model):
    """A ledger account. The bigint `id` gives the global lock order; `public_id` is what leaves
    the system. `balance`/`held` are authoritative caches for accounts that may not go negative
    (proven against the postings by `ledger_integrity_check`); for the others they stay 0 and
    the balance is derived from postings."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    system_code = models.CharField(max_length=32, choices=SystemCode.choices, null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_accounts")
    currency = models.CharField(max_length=3, default="NGN")
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    balance = models.BigIntegerField(default=0, help_text="kobo")
    held = models.BigIntegerField(default=0, help_text="kobo reserved by pending holds")
    allow_negative = models.BooleanField(default=False)
    version = models.BigIntegerField(default=0)
    outflow_day = models.DateField(null=True, blank=True, help_text="day (limits time zone) of outflow_total")
    outflow_total = models.BigIntegerField(default=0, help_text="kobo debited or held on outflow_day")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        permissions = [("freeze_ledgeraccount", "Can freeze and unfreeze customer wallets")]
        constraints = [
            models.UniqueConstraint(fields=["owner", "currency"], condition=Q(kind="customer_wallet"),
                                    name="ledger_wallet_owner_currency_unique"),
            models.UniqueConstraint(fields=["system_code", "currency"], condition=Q(kind="system"),
                                    name="ledger_system_code_currency_unique"),
            models.CheckConstraint(
                condition=(Q(kind="customer_wallet", owner__isnull=False, system_code__isnull=True)
                           | Q(kind="system", owner__isnull=True, system_code__isnull=False)),
                name="ledger_account_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.SYSTEM:
            return f"{self.system_code} ({self.currency})"
        return f"wallet {self.public_id} ({self.currency})"

    @property
    def is_derived(self) -> bool:
        """True when the balance is the sum of postings (no cached row, never locked)."""
        return self.allow_negative

    @property
    def available(self) -> int:
        return self.balance - self.held


class JournalKind(models.TextChoices):
    TRANSFER = "transfer", "Wallet to wallet transfer"
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    HOLD_CAPTURE = "hold_capture", "Hold capture"
    REFUND = "refund", "Refund"
    FEE = "fee", "Fee"
    PROVIDER_FEE = "provider_fee", "Provider fee"
    ADJUSTMENT = "adjustment", "Adjustment"
    REVERSAL = "reversal", "Reversal"


class Journal(models.Model):
    """One money movement. Append-only (database triggers). `reference` is the idempotency key."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=32)
    narration = models.CharField(max_length=255, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Posting(models.Model):
    """One signed line of a journal (positive: the account's balance grows). `balance_after` is
    the account's balance right after this posting, for accounts with a cached balance."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by (journal_id, currency) in wallets/sql, for the balancing trigger.
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="postings", db_index=False)
    # The (account_id, currency) pair is checked by a composite foreign key in wallets/sql.
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings",
                                db_constraint=False, db_index=False)
    amount = models.BigIntegerField(help_text="signed kobo, never zero")
    currency = models.CharField(max_length=3)
    balance_after = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="posting_account_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.currency} on account {self.account_id}"


class HoldStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class Hold(models.Model):
    """Funds reserved on a wallet. Only `pending` holds count in the account's `held`."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="holds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    expires_at = models.DateTimeField()
    captured_amount = models.BigIntegerField(default=0)
    journal = models.ForeignKey(Journal, null=True, blank=True, on_delete=models.PROTECT, related_name="holds")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="hold_pending_expiry_idx"),
            models.Index(fields=["account"], condition=Q(status="pending"), name="hold_pending_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(condition=Q(captured_amount__gte=0) & Q(captured_amount__lte=models.F("amount")),
                                   name="hold_captured_within_amount"),
        ]

    def __str__(self) -> str:
        return f"hold {self.reference} {self.amount} {self.status}"


class Transfer(models.Model):
    """A wallet-to-wallet transfer as customers see it: one row per transfer journal, written in
    the same transaction as the journal (`wallets.services.transfer_send`), so a Transfer exists
    if and only if its journal does. The sender and the recipient are denormalized from the
    wallets so each side's history is one index range scan."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    journal = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="transfer")
    source = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="transfers_in")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="transfers_received")
    amount = models.BigIntegerField(help_text="kobo credited to the recipient")
    fee = models.BigIntegerField(default=0, help_text="kobo paid by the sender on top of the amount")
    currency = models.CharField(max_length=3)
    narration = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["sender", "-created_at", "-public_id"], name="transfer_sender_idx"),
            models.Index(fields=["recipient", "-created_at", "-public_id"], name="transfer_recipient_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(fee__gte=0), name="transfer_amounts_valid"),
            models.CheckConstraint(condition=~Q(source=models.F("destination")), name="transfer_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"transfer {self.public_id} {self.amount} {self.currency}"

    @property
    def reference(self) -> str:
        return self.journal.reference


class AdjustmentKind(models.TextChoices):
    CREDIT = "credit", "Credit a wallet (from suspense)"
    DEBIT = "debit", "Debit a wallet (to suspense)"
    REVERSAL = "reversal", "Reverse a journal"


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (waiting for a second person)"
    APPROVING = "approving", "Approved, posting"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Approved, but the ledger refused it"


ADJUSTMENT_PENDING_STATES = (AdjustmentStatus.PROPOSED, AdjustmentStatus.APPROVING)


class Adjustment(models.Model):
    """A manual correction under maker-checker (wallets/services/adjustments.py).

    `proposed` -> `approving` (claimed by the approver, committed) -> `approved` (journal posted)
    or `failed` (the ledger refused: nothing moved); `proposed` -> `rejected`. Only the approval
    posts, and the journal reference `adjustment:<public_id>` makes the posting happen at most once
    however often the approval is retried."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=AdjustmentKind.choices)
    status = models.CharField(max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PROPOSED,
                              db_index=True)
    account = models.ForeignKey(LedgerAccount, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="adjustments", help_text="The customer wallet credited or debited")
    amount = models.BigIntegerField(null=True, blank=True, help_text="kobo (credit and debit)")
    currency = models.CharField(max_length=3, default="NGN")
    reverses = models.ForeignKey(Journal, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reversal_adjustments", help_text="The journal to reverse")
    reason = models.TextField()
    source_reference = models.CharField(max_length=255, blank=True, db_index=True,
                                        help_text="What asked for it, e.g. dispute:<id> or discrepancy:<id>")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    journal = models.OneToOneField(Journal, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="adjustment")
    failure_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-id",)
        permissions = [("approve_adjustment", "Can approve or reject adjustments proposed by someone else")]
        constraints = [
            # Maker-checker, in the database: whoever decides is not whoever proposed.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                                   name="adjustment_checker_is_not_maker"),
            models.CheckConstraint(
                condition=(Q(kind__in=["credit", "debit"], account__isnull=False, amount__gt=0, reverses__isnull=True)
                           | Q(kind="reversal", reverses__isnull=False, amount__isnull=True)),
                name="adjustment_kind_shape",
            ),
            models.CheckConstraint(condition=~Q(status="approved") | Q(journal__isnull=False),
                                   name="adjustment_approved_has_journal"),
            models.CheckConstraint(condition=Q(status="proposed") | Q(decided_by__isnull=False),
                                   name="adjustment_decided_has_decider"),
        ]

    def __str__(self) -> str:
        return f"adjustment {self.public_id} {self.kind} ({self.status})"

    @property
    def reference(self) -> str:
        """The journal reference this adjustment posts (and the audit trail's key)."""
        return f"adjustment:{self.public_id}"
